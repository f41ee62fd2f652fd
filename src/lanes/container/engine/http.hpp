#pragma once

#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mdivicom::container {

// One HTTP request to an engine over its unix socket.
struct HttpRequest
{
  HttpRequest(std::string method_, std::string target_) : method(std::move(method_)), target(std::move(target_)) {}

  std::string method;
  std::string target; // "/v1.41/containers/create?name=x"
  std::string body;   // sent as is when non-empty
  std::string content_type = "application/json";
  std::filesystem::path upload;     // streamed from disk when set (image archives)
  std::vector<std::string> headers; // extra "Name: value" lines
  // When set, the response body is handed over as it arrives instead of being kept.
  std::function<void(std::string_view)> on_data;
  // Called once the response headers are complete, with the status (a hijacked attach
  // stream is live from then on).
  std::function<void(long status)> on_headers;
  // When set, asked while the transfer runs (about once a second when nothing moves): true
  // aborts it, e.g. on Ctrl-C while an engine pulls from a registry that stopped answering.
  // Must not throw.
  std::function<bool()> cancelled;
  long timeout_ms = 0; // whole transfer; 0 = no limit (streams)
};

struct HttpResponse
{
  long status = 0;                            // 0 when no response arrived
  std::string body;                           // unless streamed through on_data
  std::map<std::string, std::string> headers; // names in lower case
  std::string error;                          // a transport failure, "" when a response arrived
  int os_errno = 0;                           // the connect() errno behind a transport failure, when known

  bool transport_ok() const { return error.empty(); }
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

// Sends requests one at a time (each blocks until its response is complete).
class HttpClientTransport;
class HttpGroupTransport;

class HttpClient
{
public:
  explicit HttpClient(std::string socket_path);
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  HttpResponse send(const HttpRequest& request) const;
  const std::string& socket_path() const { return m_socket; }

private:
  std::string m_socket;
  std::unique_ptr<HttpClientTransport> m_transport; // reused so the connection stays open
};

// Several transfers driven together on the calling thread, e.g. a container's log stream
// and its wait, while watching a file descriptor (the interrupt pipe) and a deadline.
class HttpGroup
{
public:
  explicit HttpGroup(std::string socket_path);
  ~HttpGroup();
  HttpGroup(const HttpGroup&) = delete;
  HttpGroup& operator=(const HttpGroup&) = delete;

  // Starts a transfer; its id is given back when it completes.
  int start(HttpRequest request);

  // Runs the transfers until at least one completes, wake_fd (if >= 0) is readable, `until`
  // (if set) turns true, or timeout_ms passes. Returns the completed transfers.
  std::vector<std::pair<int, HttpResponse>> run(int wake_fd, int timeout_ms, const std::function<bool()>& until = {});

  // Stops a transfer that has not completed (e.g. the log stream of a dead engine).
  void abandon(int id);
  bool busy() const;

private:
  std::unique_ptr<HttpGroupTransport> m_transport;
  std::shared_ptr<std::exception_ptr> m_thrown; // by a transfer's callback, thrown by run()
};

} // namespace mdivicom::container
