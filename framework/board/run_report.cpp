#include "run_report.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ganflow/error.hpp"
#include "ganflow/file_write.hpp"
#include "page_assets.hpp"

namespace ganflow::board {

namespace fs = std::filesystem;

namespace {

std::string base64(const std::string& bytes) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 | (unsigned char)bytes[i + 2];
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = (unsigned char)bytes[i] << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8;
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// Text inside <script> must not close the element early: in JSON every "</" may be "<\\/";
// in a script only "</script" needs it (there it sits in a string or a comment).
std::string escape_close(std::string text, const std::string& what) {
  for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size() + 1)
    text.replace(at, 2, "<\\/");
  return text;
}
std::string inline_safe(std::string text) { return escape_close(std::move(text), "</script"); }

}  // namespace

std::string write_report(const std::string& run_dir, const std::string& out) {
  if (!is_run_dir(run_dir))
    throw Error("'" + run_dir + "' is not a run folder (no graph.json, log.txt or metrics.jsonl)");
  const fs::path dir = fs::canonical(run_dir);
  json run = run_details(dir, dir.filename().string());
  for (auto& s : run["samples"]) {
    if (s.contains("error")) continue;  // shown as a problem; the page draws the rest
    std::ifstream in(dir / s["file"].get<std::string>(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    s["url"] = "data:image/png;base64," + base64(bytes.str());
  }
  const std::string head = "<style>\n" + std::string(page_asset("board.css")) + "\n</style>\n<script>\n" +
                           inline_safe(chartjs_text()) + "\n</script>\n<script>\n" +
                           inline_safe(std::string(page_asset("board.js"))) + "\n</script>";
  const std::string data = "<script>window.GANFLOW_REPORT = " +
                           escape_close(run.dump(-1, ' ', false, json::error_handler_t::replace), "</") + ";</script>";
  write_file(out, page_html(head, data));
  return std::to_string(run["samples"].size()) + " sample grids, " + std::to_string(run["steps"].size()) +
         " step and " + std::to_string(run["epochs"].size()) + " epoch records";
}

}  // namespace ganflow::board
