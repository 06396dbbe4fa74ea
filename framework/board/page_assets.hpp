#pragma once
// The board's own page (page/board.html, board.js, board.css), embedded into the program at
// build time (board/embed_page.cmake writes board_page.cpp), and chart.js, read from the
// system's copy (Debian's libjs-chart.js) at run time. The installed program needs no share/
// folder for its page, and nothing is fetched from the network.
#include <string>
#include <string_view>

namespace ganflow::board {

// An embedded page file by name ("board.html", "board.js", "board.css"); empty if none.
std::string_view page_asset(std::string_view name);

// Where chart.js is read from: $GANFLOW_CHARTJS, else the path found when ganflow was built.
std::string chartjs_path();
// Its text; throws ganflow::Error naming the path and the package when it cannot be read.
std::string chartjs_text();

// board.html with its placeholders filled: `head` replaces <!--GANFLOW_HEAD--> (styles and
// scripts, linked or inlined) and `data` replaces <!--GANFLOW_DATA--> (a report's run).
std::string page_html(const std::string& head, const std::string& data);

}  // namespace ganflow::board
