#include "lanes/container/engine/http.hpp"

#include "core/util/error.hpp"
#include "core/util/module.hpp"
#include "lanes/container/engine/http_transport.hpp"

#include <exception>
#include <utility>

namespace mdivicom::container {

namespace {

const CurlModule& curl_module()
{
  static const CurlModule& module = *module_function<CurlModuleEntry>(k_curl_module, k_curl_entry)();
  return module;
}

template <typename Transport>
std::unique_ptr<Transport> checked(std::unique_ptr<Transport> transport, const std::string& error)
{
  if (!transport) {
    throw Error(error);
  }
  return transport;
}

// Runs a caller's callback on this side of the module boundary: what it throws is kept, to be
// thrown again once the module has returned (http_transport.hpp).
void keep_thrown(std::exception_ptr& thrown, const std::function<void()>& call) noexcept
{
  try {
    call();
  } catch (...) {
    if (!thrown) {
      thrown = std::current_exception();
    }
  }
}

// A stop condition that does not throw into the module: true once `predicate` says so, or once
// a callback of the caller's has thrown (kept in `thrown`), which ends the transfer.
std::function<bool()> guarded_stop(std::function<bool()> predicate, const std::shared_ptr<std::exception_ptr>& thrown)
{
  return [predicate = std::move(predicate), thrown]() {
    bool stop = false;
    if (predicate && !*thrown) {
      keep_thrown(*thrown, [&] { stop = predicate(); });
    }
    return stop || *thrown != nullptr;
  };
}

// The request with callbacks that do not throw into the module: what the caller's callbacks
// throw is kept in `thrown`, and `cancelled` then stops the transfer.
HttpRequest guarded(HttpRequest request, const std::shared_ptr<std::exception_ptr>& thrown)
{
  if (request.on_data) {
    request.on_data = [on_data = std::move(request.on_data), thrown](std::string_view data) {
      if (!*thrown) {
        keep_thrown(*thrown, [&] { on_data(data); });
      }
    };
  }
  if (request.on_headers) {
    request.on_headers = [on_headers = std::move(request.on_headers), thrown](long status) {
      if (!*thrown) {
        keep_thrown(*thrown, [&] { on_headers(status); });
      }
    };
  }
  if (request.on_data || request.on_headers || request.cancelled) {
    request.cancelled = guarded_stop(std::move(request.cancelled), thrown);
  }
  return request;
}

void rethrow_kept(std::exception_ptr& thrown)
{
  if (thrown) {
    std::rethrow_exception(std::exchange(thrown, nullptr));
  }
}

} // namespace

HttpClient::HttpClient(std::string socket_path) : m_socket(std::move(socket_path))
{
  std::string error;
  m_transport = checked(curl_module().client(m_socket, error), error);
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpResponse HttpClient::send(const HttpRequest& request) const
{
  if (!request.on_data && !request.on_headers && !request.cancelled) {
    return m_transport->send(request); // nothing of the caller's runs in the module
  }
  auto thrown = std::make_shared<std::exception_ptr>();
  HttpResponse response = m_transport->send(guarded(request, thrown));
  rethrow_kept(*thrown);
  return response;
}

HttpGroup::HttpGroup(std::string socket_path) : m_thrown(std::make_shared<std::exception_ptr>())
{
  std::string error;
  m_transport = checked(curl_module().group(std::move(socket_path), error), error);
}

HttpGroup::~HttpGroup() = default;

int HttpGroup::start(HttpRequest request)
{
  std::string error;
  int id = m_transport->start(guarded(std::move(request), m_thrown), error);
  if (id < 0) {
    throw Error(error);
  }
  return id;
}

std::vector<std::pair<int, HttpResponse>> HttpGroup::run(int wake_fd, int timeout_ms,
                                                         const std::function<bool()>& until)
{
  std::string error;
  auto done = m_transport->run(wake_fd, timeout_ms, until ? guarded_stop(until, m_thrown) : nullptr, error);
  rethrow_kept(*m_thrown);
  if (!error.empty()) {
    throw Error(error);
  }
  return done;
}

void HttpGroup::abandon(int id)
{
  m_transport->abandon(id);
}

bool HttpGroup::busy() const
{
  return m_transport->busy();
}

} // namespace mdivicom::container
