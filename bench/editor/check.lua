-- Drives Neovim's built-in LSP client against `lockfix server` on the file given on the command
-- line, as a user would: wait for the diagnostics, ask for the code actions at the first
-- `guard-across-blocking` finding, apply the preferred one, then ask for `source.fixAll.lockfix`
-- and apply it. After each step the buffer is written to a file the shell script compares with
-- what `lockfix --apply` makes of the same text.
--
-- Written against the API Neovim 0.7 (Debian 12's package) has and later versions keep:
-- vim.lsp.start_client, client.request_sync, vim.lsp.util.apply_workspace_edit.
--
-- Environment: LOCKFIX (the binary), OUT (a directory for the results).

local lockfix = os.getenv("LOCKFIX")
local out = os.getenv("OUT")
local timeout_ms = 60000

-- `print` in a headless Neovim writes no line break: say it plainly on standard output.
local function say(message)
  io.stdout:write(message .. "\n")
end

local function fail(message)
  io.stderr:write("editor check failed: " .. message .. "\n")
  vim.cmd("cquit 1")
end

local function write_buffer(bufnr, name)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local file = assert(io.open(out .. "/" .. name, "w"))
  file:write(table.concat(lines, "\n") .. "\n")
  file:close()
end

local bufnr = vim.api.nvim_get_current_buf()
local path = vim.api.nvim_buf_get_name(bufnr)
local client_id = vim.lsp.start_client({
  name = "lockfix",
  cmd = { lockfix, "server" },
  root_dir = vim.fn.fnamemodify(path, ":h:h"),
})
if not client_id then
  fail("the client did not start")
end
vim.lsp.buf_attach_client(bufnr, client_id)
local client = vim.lsp.get_client_by_id(client_id)

local function lockfix_diagnostics()
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    if diagnostic.source == "lockfix" then
      table.insert(found, diagnostic)
    end
  end
  return found
end

local function code(diagnostic)
  -- Neovim keeps the LSP diagnostic under user_data.lsp (0.7) and copies `code` up (0.8+).
  if diagnostic.code then
    return diagnostic.code
  end
  local lsp = diagnostic.user_data and diagnostic.user_data.lsp
  return lsp and lsp.code
end

if not vim.wait(timeout_ms, function() return #lockfix_diagnostics() > 0 end, 50) then
  fail("no diagnostics from lockfix")
end
local before = lockfix_diagnostics()
local target
for _, diagnostic in ipairs(before) do
  say(string.format("diagnostic %d:%d %s: %s", diagnostic.lnum + 1, diagnostic.col + 1,
    tostring(code(diagnostic)), diagnostic.message:match("[^\n]*")))
  if code(diagnostic) == "guard-across-blocking" and not target then
    target = diagnostic
  end
end
if not target then
  fail("no guard-across-blocking diagnostic")
end

local function actions(range, only)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = range,
    context = { diagnostics = {}, only = only },
  }
  local response, err = client.request_sync("textDocument/codeAction", params, timeout_ms, bufnr)
  if not response or response.err then
    fail("codeAction failed: " .. vim.inspect(err or (response and response.err)))
  end
  return response.result or {}
end

local range = {
  start = { line = target.lnum, character = target.col },
  ["end"] = { line = target.end_lnum, character = target.end_col },
}
local preferred
for _, action in ipairs(actions(range, nil)) do
  say("action: " .. action.title .. (action.isPreferred and " (preferred)" or ""))
  if action.isPreferred and not preferred then
    preferred = action
  end
end
if not preferred then
  fail("no preferred quick fix")
end
vim.lsp.util.apply_workspace_edit(preferred.edit, client.offset_encoding)
write_buffer(bufnr, "after_quickfix.rs")

-- The server re-checks the edited buffer: the finding at the target line is gone.
local target_line = target.lnum
if not vim.wait(timeout_ms, function()
  for _, diagnostic in ipairs(lockfix_diagnostics()) do
    if diagnostic.lnum == target_line and code(diagnostic) == "guard-across-blocking" then
      return false
    end
  end
  return #lockfix_diagnostics() < #before
end, 50) then
  fail("the fixed finding is still reported")
end

local whole = {
  start = { line = 0, character = 0 },
  ["end"] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 },
}
local fix_all = actions(whole, { "source.fixAll.lockfix" })
if #fix_all ~= 1 then
  fail("expected one fix-all action, got " .. #fix_all)
end
say("action: " .. fix_all[1].title)
vim.lsp.util.apply_workspace_edit(fix_all[1].edit, client.offset_encoding)
write_buffer(bufnr, "after_fix_all.rs")
say("remaining diagnostics after fix-all: waiting")
vim.wait(2000, function() return false end, 50)
for _, diagnostic in ipairs(lockfix_diagnostics()) do
  say(string.format("remaining %d:%d %s", diagnostic.lnum + 1, diagnostic.col + 1,
    tostring(code(diagnostic))))
end

client.stop()
vim.wait(5000, function() return client.is_stopped() end, 50)
vim.cmd("qall!")
