#pragma once

// The seam between the container lane and libcurl. The implementation (curl/curl_transport.cpp)
// is built as the module mdivicom-curl.so and loaded on the first request, so that commands
// which never talk to an engine do not pay for loading libcurl and its ~30 libraries.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lanes/container/engine/http.hpp"

namespace mdivicom::container {

// No exception crosses this seam: mdivicom links its C++ runtime statically and the module
// uses the shared one, and an exception thrown by one copy and caught by the other leaves the
// runtimes' bookkeeping wrong. So the module reports failures as HttpResponse::error or an
// `error` out-parameter, and the request's callbacks (and `until`) do not throw: http.cpp
// wraps the caller's, keeps what they threw, turns it into `cancelled` (the module then aborts
// the transfer) and throws it once the module has returned.
class HttpClientTransport
{
public:
  virtual ~HttpClientTransport() = default;
  virtual HttpResponse send(const HttpRequest& request) noexcept = 0;
};

class HttpGroupTransport
{
public:
  virtual ~HttpGroupTransport() = default;
  // The transfer's id, or -1 with `error` set.
  virtual int start(HttpRequest request, std::string& error) noexcept = 0;
  // The completed transfers; `error` set (and the group's transfers dropped) when the module
  // itself failed.
  virtual std::vector<std::pair<int, HttpResponse>> run(int wake_fd, int timeout_ms, const std::function<bool()>& until,
                                                        std::string& error) noexcept = 0;
  virtual void abandon(int id) noexcept = 0;
  virtual bool busy() const noexcept = 0;
};

// What the module offers, returned by its entry function k_curl_entry: a transport, or null
// with `error` set.
struct CurlModule
{
  std::unique_ptr<HttpClientTransport> (*client)(std::string socket_path, std::string& error) noexcept;
  std::unique_ptr<HttpGroupTransport> (*group)(std::string socket_path, std::string& error) noexcept;
};

inline constexpr const char* k_curl_module = "curl";
inline constexpr const char* k_curl_entry = "mdivicom_curl_module";
using CurlModuleEntry = const CurlModule*();

} // namespace mdivicom::container
