#pragma once

// The seam between the container lane and libcurl. The implementation (curl/curl_transport.cpp)
// is built as the module mdivicom-curl.so and loaded on the first request, so that commands
// which never talk to an engine do not pay for loading libcurl and its ~30 libraries.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lanes/container/http.hpp"

namespace mdivicom::container {

class HttpClientTransport
{
public:
  virtual ~HttpClientTransport() = default;
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

class HttpGroupTransport
{
public:
  virtual ~HttpGroupTransport() = default;
  virtual int start(HttpRequest request) = 0;
  virtual std::vector<std::pair<int, HttpResponse>> run(int wake_fd, int timeout_ms,
                                                        const std::function<bool()>& until) = 0;
  virtual void abandon(int id) = 0;
  virtual bool busy() const = 0;
};

// What the module offers, returned by its entry function k_curl_entry.
struct CurlModule
{
  std::unique_ptr<HttpClientTransport> (*client)(std::string socket_path);
  std::unique_ptr<HttpGroupTransport> (*group)(std::string socket_path);
};

inline constexpr const char* k_curl_module = "curl";
inline constexpr const char* k_curl_entry = "mdivicom_curl_module";
using CurlModuleEntry = const CurlModule*();

} // namespace mdivicom::container
