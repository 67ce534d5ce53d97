-- wrk driver: POSTs BODY (with %s replaced by the next token from TOKENS) to PATH with Basic
-- auth. Each wrk thread takes every THREADS-th token starting at its own index plus OFFSET, so
-- single-use tokens are never sent twice within a run. With TOKEN_IS_AUTH=1 each token is the
-- Basic credential itself (the frontend API's base64(public_token:session_token)).
local tokens = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
  step = tonumber(os.getenv("THREADS") or "2")
  i = tid + tonumber(os.getenv("OFFSET") or "0")
  body = os.getenv("BODY")
  path = os.getenv("TARGET_PATH")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local auth = os.getenv("AUTH")
  if auth and auth ~= "" then wrk.headers["Authorization"] = "Basic " .. auth end
end

function request()
  local token = tokens[(i % #tokens) + 1]
  i = i + step
  if os.getenv("TOKEN_IS_AUTH") == "1" then
    local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Basic " .. token }
    return wrk.format(nil, path, headers, body)
  end
  return wrk.format(nil, path, nil, string.format(body, token))
end
