// The loader on real .so files built in the test tree, good and broken.
#include <catch2/catch.hpp>

#include "ganflow/framework/plugin/plugin_descriptor.hpp"
#include "ganflow/framework/plugin/plugin_loader.hpp"

using namespace ganflow;

namespace {
std::string plugin(const std::string& name) {
  return std::string(GANFLOW_TEST_PLUGIN_DIR) + "/" + name + "/lib" + name + ".so";
}
std::string load_error(const std::string& name, HostRegistry& reg) {
  try {
    load_plugin_library(plugin(name), reg);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("the descriptor is read from the file without loading it", "[loader]") {
  auto d = read_plugin_descriptor(plugin("gf_test_good"));
  CHECK(std::string(d.library) == "good");
  CHECK(d.abi_major == GANFLOW_ABI_MAJOR);
  CHECK(d.struct_size == sizeof(ganflow_plugin_descriptor));
  CHECK(check_plugin_descriptor(d, "x").empty());
}

TEST_CASE("a good plugin registers its types and they build", "[loader]") {
  HostRegistry reg;
  load_plugin_library(plugin("gf_test_good"), reg);
  const NodeSpec& s = reg.at("test_scaled_l1");
  CHECK(s.kind == NodeKind::Loss);
  CHECK(s.library == plugin("gf_test_good"));
  // Loading the same file again is a no-op, not a duplicate.
  CHECK_NOTHROW(load_plugin_library(plugin("gf_test_good"), reg));
}

TEST_CASE("a plugin built for the older SDK ABI 2.3 is refused naming the file and both versions", "[loader]") {
  static_assert(GANFLOW_ABI_MAJOR == 3, "the test plugin stands for the SDK before this host's");
  HostRegistry reg;
  std::string e = load_error("gf_test_abi_major", reg);
  CHECK_THAT(e, Catch::Contains(plugin("gf_test_abi_major")));
  CHECK_THAT(e, Catch::Contains("ABI 2.3"));
  CHECK_THAT(e, Catch::Contains("host has 3." + std::to_string(GANFLOW_ABI_MINOR)));
  CHECK(reg.all().empty());
}

TEST_CASE("a plugin built for a newer SDK minor is refused", "[loader]") {
  HostRegistry reg;
  std::string e = load_error("gf_test_abi_minor", reg);
  CHECK_THAT(e, Catch::Contains("ABI " + std::to_string(GANFLOW_ABI_MAJOR) + ".99"));
  CHECK_THAT(e, Catch::Contains("plugin is newer"));
}

TEST_CASE("a LibTorch or C++ ABI mismatch in the descriptor is refused", "[loader]") {
  auto d = read_plugin_descriptor(plugin("gf_test_good"));
  auto torch_off = d;
  torch_off.torch_minor += 1;
  CHECK_THAT(check_plugin_descriptor(torch_off, "p.so"), Catch::Contains("LibTorch"));
  auto abi_off = d;
  abi_off.cxx11_abi = !d.cxx11_abi;
  CHECK_THAT(check_plugin_descriptor(abi_off, "p.so"), Catch::Contains("_GLIBCXX_USE_CXX11_ABI"));
}

TEST_CASE("a library without the entry point is refused", "[loader]") {
  HostRegistry reg;
  CHECK_THAT(load_error("gf_test_no_entry", reg), Catch::Contains("no registration entry point"));
}

TEST_CASE("a library that is not a ganflow plugin is refused", "[loader]") {
  HostRegistry reg;
  CHECK_THAT(load_error("gf_test_no_descriptor", reg), Catch::Contains("no ganflow plugin descriptor"));
}

TEST_CASE("a registration that throws is reported, not a crash, and leaves none of its types", "[loader]") {
  HostRegistry reg;
  std::string e = load_error("gf_test_throws", reg);
  CHECK_THAT(e, Catch::Contains("registration failed: deliberate failure"));
  CHECK(reg.find("test_half_registered") == nullptr);
  CHECK(reg.all().empty());
}

TEST_CASE("load_plugins refuses a bad library with its reason and loads the rest", "[loader]") {
  HostRegistry reg;
  std::string dir = GANFLOW_TEST_PLUGIN_DIR;
  auto loaded = load_plugins({dir + "/gf_test_throws", dir + "/gf_test_abi_major", dir + "/gf_test_good"}, reg);
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0] == plugin("gf_test_good"));
  REQUIRE(reg.refused().size() == 2);
  CHECK_THAT(reg.refused()[0], Catch::StartsWith(plugin("gf_test_throws") + ": registration failed"));
  CHECK_THAT(reg.refused()[1], Catch::StartsWith(plugin("gf_test_abi_major") + ": built for ganflow SDK ABI 2.3"));
  CHECK(reg.find("test_scaled_l1") != nullptr);
  CHECK(reg.find("test_half_registered") == nullptr);
  CHECK_THAT(reg.unknown_type_message("test_half_registered"),
             Catch::Contains("; refused plugin library " + plugin("gf_test_throws")));
}

TEST_CASE("two libraries registering one type name is an error naming both files", "[loader]") {
  HostRegistry reg;
  load_plugin_library(plugin("gf_test_good"), reg);
  std::string e = load_error("gf_test_duplicate", reg);
  CHECK_THAT(e, Catch::Contains("registered twice"));
  CHECK_THAT(e, Catch::Contains(plugin("gf_test_good")));
  CHECK_THAT(e, Catch::Contains(plugin("gf_test_duplicate")));
}

TEST_CASE("a missing file and a non-ELF file give clear errors", "[loader]") {
  HostRegistry reg;
  CHECK_THROWS_WITH(load_plugin_library("/nonexistent/libx.so", reg), Catch::Contains("/nonexistent/libx.so"));
  CHECK_THROWS_WITH(read_plugin_descriptor(std::string(GANFLOW_SOURCE_DIR) + "/CMakeLists.txt"),
                    Catch::Contains("not a 64-bit ELF"));
}
