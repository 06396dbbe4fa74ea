#include "board_server.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ganflow/error.hpp"
#include "page_assets.hpp"

namespace ganflow::board {

namespace fs = std::filesystem;

namespace {

bool within(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (r->empty() && std::next(r) == root.end()) break;  // a trailing "/" of root
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

std::string content_type(const std::string& path) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".png")) return "image/png";
  if (ends(".jpg") || ends(".jpeg")) return "image/jpeg";
  if (ends(".json")) return "application/json";
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "text/plain; charset=utf-8";
}

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  // Non-finite numbers (a NaN loss) become null: the page must always parse.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  res.set_header("Cache-Control", "no-store");
}

void refuse(httplib::Response& res, int status, const std::string& why) {
  res.status = status;
  res.set_content(why + "\n", "text/plain; charset=utf-8");
}

std::string encode_segment(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += char(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

// A run name is one path segment, not "." or "..".
bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace

std::string inside(const std::string& runs_dir, const std::string& rel) {
  if (rel.empty() || rel.front() == '/' || rel.find('\0') != std::string::npos) return "";
  for (auto& part : fs::path(rel))
    if (part == "..") return "";
  std::error_code ec;
  const fs::path root = fs::canonical(runs_dir, ec);
  if (ec) return "";
  const fs::path p = fs::weakly_canonical(root / rel, ec);
  if (ec || !within(root, p)) return "";
  return p.string();
}

void serve_board(const BoardOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(o.runs_dir, ec)) throw Error("'" + o.runs_dir + "' is not a folder of runs");
  const std::string root = fs::canonical(o.runs_dir).string();
  // When RUNS_DIR is itself one run, that run is listed under its own name.
  const bool single = is_run_dir(root);
  const std::string single_name = fs::path(root).filename().string();
  auto run_dir = [&](const std::string& name) -> std::string {
    if (single) return name == single_name ? root : "";
    return plain_name(name) ? inside(root, name) : "";
  };

  httplib::Server svr;
  svr.Get("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(page_html("<link rel=\"stylesheet\" href=\"static/board.css\">\n"
                              "<script src=\"static/chart.js\"></script>\n"
                              "<script src=\"static/board.js\"></script>",
                              ""),
                    "text/html; charset=utf-8");
  });
  svr.Get(R"(/static/([a-z.]+))", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    if (name == "chart.js") {
      try {
        res.set_content(chartjs_text(), "text/javascript; charset=utf-8");
      } catch (const Error& e) {
        refuse(res, 404, e.what());
      }
      return;
    }
    std::string_view text = page_asset(name);
    if (text.empty() || name == "board.html") return refuse(res, 404, "no such file");
    res.set_content(std::string(text), content_type(name));
  });
  svr.Get("/api/runs", [&](const httplib::Request&, httplib::Response& res) {
    json runs = list_runs(root);
    // Runs reached through a symlink that leaves RUNS_DIR are not listed.
    json kept = json::array();
    for (auto& r : runs)
      if (!run_dir(r["name"].get<std::string>()).empty()) kept.push_back(r);
    send_json(res, {{"runs_dir", root}, {"runs", kept}});
  });
  svr.Get(R"(/api/runs/(.*))", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    const std::string dir = run_dir(name);
    if (dir.empty() || !is_run_dir(dir)) return send_json(res, {{"error", "no run '" + name + "' in " + root}}, 404);
    json d = run_details(dir, name);
    for (auto& s : d["samples"])
      s["url"] = "runs/" + encode_segment(name) + "/" + s["file"].get<std::string>();
    send_json(res, d);
  });
  svr.Get(R"(/runs/(.*))", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string rel = req.matches[1];  // decoded by httplib: %2e%2e is ".." here
    const auto slash = rel.find('/');
    const std::string name = rel.substr(0, slash);
    if (!plain_name(name) || slash == std::string::npos) return refuse(res, 403, "refused: not a file of a run");
    const std::string dir = run_dir(name);
    if (dir.empty()) return refuse(res, is_run_dir(fs::path(root) / name) ? 403 : 404, "no such run");
    const std::string path = inside(dir, rel.substr(slash + 1));
    if (path.empty()) return refuse(res, 403, "refused: outside the runs folder");
    if (!fs::is_regular_file(path, ec)) return refuse(res, 404, "no such file");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    res.set_content(s.str(), content_type(path));
    res.set_header("Cache-Control", "no-store");
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) res.set_content(std::to_string(res.status) + "\n", "text/plain; charset=utf-8");
  });
  // Read-only: every other method is refused.
  auto read_only = [](const httplib::Request&, httplib::Response& res) { refuse(res, 405, "read-only"); };
  svr.Post(".*", read_only);
  svr.Put(".*", read_only);
  svr.Delete(".*", read_only);

  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second board would
  // silently share a port that another board already serves.
  svr.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  errno = 0;
  if (!svr.bind_to_port(o.host.c_str(), o.port)) {
    const int err = errno;
    throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (" +
                (err == EADDRINUSE || err == 0 ? std::string("port ") + std::to_string(o.port) + " is in use" : std::strerror(err)) +
                ")");
  }
  std::cout << "ganflow board: " << root << " on http://" << o.host << ":" << o.port << "/ (Ctrl-C stops)" << std::endl;
  svr.listen_after_bind();
}

}  // namespace ganflow::board
