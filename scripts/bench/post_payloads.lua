-- wrk script: POST the request bodies in PAYLOAD_DIR (get_reward_0.json ... get_reward_{n-1}.json)
-- in rotation to the URL's path. Usage: PAYLOAD_DIR=dir PAYLOAD_COUNT=8 wrk -s post_payloads.lua URL
local dir = os.getenv("PAYLOAD_DIR")
local count = tonumber(os.getenv("PAYLOAD_COUNT") or "8")
local bodies = {}
for i = 0, count - 1 do
  local f = assert(io.open(dir .. "/get_reward_" .. i .. ".json", "rb"))
  bodies[#bodies + 1] = f:read("*a")
  f:close()
end
local next_body = 0
request = function()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, bodies[next_body])
end
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n")
  end
end
