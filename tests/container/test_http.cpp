// The HTTP transport lives in the curl module, on another copy of the C++ runtime than the
// callers' (mdivicom links libstdc++ statically): what a caller's callback throws must come
// out of send() and run() on the caller's side, as it was thrown, and stop the transfer.
#include "container/support.hpp"

#include "lanes/container/engine/http.hpp"

#include <stdexcept>

using namespace mdivicom;
using namespace mdivicom::test;

namespace {

struct CallbackFailed : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

} // namespace

TEST_CASE("what a request's callback throws comes out of send() as it was thrown", "[container][http]")
{
  container::HttpClient client(test_engine("docker").socket);
  container::HttpRequest request("GET", "/version");
  int calls = 0;
  request.on_data = [&](std::string_view) {
    ++calls;
    throw CallbackFailed("stop reading");
  };
  CHECK_THROWS_AS(client.send(request), CallbackFailed);
  CHECK(calls == 1); // the transfer stopped at once

  request.on_data = nullptr;
  request.on_headers = [](long) { throw CallbackFailed("bad status"); };
  CHECK_THROWS_WITH(client.send(request), "bad status");

  // The client still works afterwards.
  request.on_headers = nullptr;
  container::HttpResponse response = client.send(request);
  CHECK(response.ok());
  CHECK(response.body.find("ApiVersion") != std::string::npos);
}

TEST_CASE("what a group transfer's callback or the run's until throws comes out of run()", "[container][http]")
{
  container::HttpGroup group(test_engine("docker").socket);
  container::HttpRequest request("GET", "/version");
  request.on_data = [](std::string_view) { throw CallbackFailed("from on_data"); };
  group.start(request);
  CHECK_THROWS_WITH(group.run(-1, 10000), "from on_data");

  // An event stream does not end on its own: `until` decides.
  container::HttpRequest events("GET", "/events");
  int stream = group.start(events);
  CHECK_THROWS_AS(group.run(-1, 10000, []() -> bool { throw CallbackFailed("from until"); }), CallbackFailed);
  CHECK(group.busy()); // the stream is still there, for the caller to end
  group.abandon(stream);
  CHECK_FALSE(group.busy());

  // The group still works afterwards.
  request.on_data = nullptr;
  int id = group.start(request);
  std::vector<std::pair<int, container::HttpResponse>> done;
  while (done.empty() && group.busy()) {
    done = group.run(-1, 10000);
  }
  REQUIRE(done.size() == 1);
  CHECK(done[0].first == id);
  CHECK(done[0].second.ok());
}

TEST_CASE("a request the module cannot make fails as an error on the caller's side", "[container][http]")
{
  container::HttpGroup group(test_engine("docker").socket);
  container::HttpRequest upload("POST", "/images/load");
  upload.upload = "/nonexistent/archive.tar";
  CHECK_THROWS_WITH(group.start(upload), Catch::Contains("cannot read /nonexistent/archive.tar"));
  container::HttpClient client(test_engine("docker").socket);
  CHECK(client.send(upload).error.find("cannot read /nonexistent/archive.tar") != std::string::npos);
}
