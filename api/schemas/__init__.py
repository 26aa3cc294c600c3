"""The API's contract: one module per noun with the pydantic models of its requests and
answers (Create / Read / Update / List, as Netflix Dispatch names them). Routers declare
them; the OpenAPI document, /docs and generated clients are made from them."""
