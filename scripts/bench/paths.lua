-- wrk script: GET each path of the file $WRK_PATHS in turn (one per line), with $WRK_HEADER
-- ("Name: value") if set. Used by scripts/bench/concurrency.py.
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local headers = {}
local header = os.getenv("WRK_HEADER")
if header and header ~= "" then
  local name, value = header:match("^([^:]+):%s*(.*)$")
  headers[name] = value
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end
