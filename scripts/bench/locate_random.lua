-- wrk script: GET /locate at a random point of Haikou's urban core (all inside the city).
math.randomseed(7)
request = function()
  local lon = 110.28 + math.random() * 0.12
  local lat = 19.98 + math.random() * 0.08
  return wrk.format("GET", string.format("/locate?lon=%.6f&lat=%.6f", lon, lat))
end
