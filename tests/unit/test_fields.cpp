// ganflow::Fields: one declaration per param gives the spec (name, type, default, range, doc)
// and the settings field that receives the value.
#include <catch2/catch.hpp>

#include "ganflow/fields.hpp"

using namespace ganflow;

namespace {
struct Inner {
  double rate{};
};
struct Settings {
  int64_t n{};
  bool on{};
  std::string mode;
  std::vector<double> weights;
  double lo{}, hi{};
  Inner inner;
};
}  // namespace

TEST_CASE("Fields declares each param once and reads every value into its field", "[params]") {
  NodeSpec spec("t", NodeKind::Stage, "test");
  Fields<Settings> f(spec);
  Fields<Inner> inner(spec);
  f.add("n", &Settings::n, 64, "count").range(1, 100);
  f.add("on", &Settings::on, true, "flag");
  f.add_enum("mode", &Settings::mode, {"a", "b"}, "b", "choice");
  f.add_list("weights", &Settings::weights, {1.0, 2.0}, "list");
  f.bind(spec.param_list("range", ParamType::Float, json::array({0.0, 1.0}), "two values, two fields").length(2),
         [](const Params& p, const std::string& name, Settings& s) {
           s.lo = p.floats(name)[0];
           s.hi = p.floats(name)[1];
         });
  inner.add("rate", &Inner::rate, 0.5, "nested").range(0, 1);
  f.nest(&Settings::inner, inner);

  // The spec: every param once, in order, with its default and range.
  std::vector<std::string> names;
  for (auto& p : spec.params) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"n", "on", "mode", "weights", "range", "rate"});
  CHECK(spec.params[0].default_value == 64);
  CHECK(spec.params[0].max == 100);
  CHECK(spec.params[2].choices == std::vector<std::string>{"a", "b"});
  CHECK(spec.params[5].default_value == 0.5);

  // The reader: values as a validated graph gives them.
  Params p("node", {{"n", 7}, {"on", false}, {"mode", "a"}, {"weights", {3.0}}, {"range", {-1.0, 2.5}}, {"rate", 0.25}});
  Settings s = f.read(p);
  CHECK(s.n == 7);
  CHECK_FALSE(s.on);
  CHECK(s.mode == "a");
  CHECK(s.weights == std::vector<double>{3.0});
  CHECK(s.lo == -1.0);
  CHECK(s.hi == 2.5);
  CHECK(s.inner.rate == 0.25);
}

namespace {
enum class Shape { Square, Round };
struct FileSettings {
  int size{};
  Shape shape = Shape::Square;
  std::string root, out;
  std::vector<int64_t> ids;
  std::vector<std::string> names;
};
// A build context with a run folder, as the executor gives a node.
class RunFolderContext : public BuildContext {
 public:
  explicit RunFolderContext(Params p) : params_(std::move(p)) {}
  const std::string& node_name() const override { return name_; }
  const Params& params() const override { return params_; }
  std::vector<std::shared_ptr<Node>> inputs(const std::string&) const override { return {}; }
  uint64_t seed() const override { return 0; }
  std::string run_dir() const override { return "/runs/a"; }

 private:
  std::string name_ = "node";
  Params params_;
};
}  // namespace

TEST_CASE("Fields: int and enum-valued fields, required and run-relative paths, int and string lists", "[params]") {
  NodeSpec spec("t", NodeKind::Source, "test");
  Fields<FileSettings> f(spec);
  f.add("size", &FileSettings::size, 32, "side").range(1, 64);
  f.add_enum("shape", &FileSettings::shape, {{"square", Shape::Square}, {"round", Shape::Round}}, "square", "s");
  f.add_path("root", &FileSettings::root, std::nullopt, "required folder");
  f.add_path("out", &FileSettings::out, "run:out.png", "file");
  f.add_list("ids", &FileSettings::ids, {1, 2}, "ints");
  f.add_list("names", &FileSettings::names, {"x"}, "strings");

  REQUIRE(spec.params.size() == 6);
  CHECK(spec.params[1].choices == std::vector<std::string>{"square", "round"});
  CHECK(spec.params[2].required());
  CHECK_FALSE(spec.params[3].required());
  CHECK(spec.params[3].default_value == "run:out.png");
  CHECK(spec.params[4].type == ParamType::List);

  Params p("node", {{"size", 9}, {"shape", "round"}, {"root", "run:imgs"}, {"out", "/tmp/o.png"},
                    {"ids", {4, 5, 6}}, {"names", {"a", "b"}}});
  FileSettings raw = f.read(p);  // without a context the paths stay as written
  CHECK(raw.root == "run:imgs");
  FileSettings s = f.read(RunFolderContext(p));
  CHECK(s.size == 9);
  CHECK(s.shape == Shape::Round);
  CHECK(s.root == "/runs/a/imgs");
  CHECK(s.out == "/tmp/o.png");
  CHECK(s.ids == std::vector<int64_t>{4, 5, 6});
  CHECK(s.names == std::vector<std::string>{"a", "b"});
}
