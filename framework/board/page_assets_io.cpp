#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ganflow/error.hpp"
#include "page_assets.hpp"

namespace ganflow::board {

std::string chartjs_path() {
  if (const char* env = std::getenv("GANFLOW_CHARTJS"); env && *env) return env;
  return GANFLOW_CHARTJS_PATH;
}

std::string chartjs_text() {
  const std::string path = chartjs_path();
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  if (in) s << in.rdbuf();
  if (!in || s.str().empty())
    throw Error("cannot read chart.js at '" + path + "' (Debian package libjs-chart.js; GANFLOW_CHARTJS names another copy)");
  return s.str();
}

std::string page_html(const std::string& head, const std::string& data) {
  std::string html(page_asset("board.html"));
  auto fill = [&](const std::string& marker, const std::string& text) {
    if (auto at = html.find(marker); at != std::string::npos) html.replace(at, marker.size(), text);
  };
  fill("<!--GANFLOW_HEAD-->", head);
  fill("<!--GANFLOW_DATA-->", data);
  return html;
}

}  // namespace ganflow::board
