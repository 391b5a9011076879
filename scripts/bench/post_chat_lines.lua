-- wrk script: POST the JSON Lines request bodies in BODIES (one chat completion body a line) in
-- rotation to /v1/chat/completions; counts non-200 answers on stderr.
-- Usage: BODIES=requests.jsonl wrk -s post_chat_lines.lua http://127.0.0.1:PORT
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
local next_body = 0
request = function()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/v1/chat/completions", { ["Content-Type"] = "application/json" }, bodies[next_body])
end
response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n")
  end
end
