#include "lanes/container/http.hpp"

#include "core/module.hpp"
#include "lanes/container/http_transport.hpp"

namespace mdivicom::container {

namespace {

const CurlModule& curl_module()
{
  static const CurlModule& module = *module_function<CurlModuleEntry>(k_curl_module, k_curl_entry)();
  return module;
}

} // namespace

HttpClient::HttpClient(std::string socket_path)
  : m_socket(std::move(socket_path)), m_transport(curl_module().client(m_socket))
{}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpResponse HttpClient::send(const HttpRequest& request) const
{
  return m_transport->send(request);
}

HttpGroup::HttpGroup(std::string socket_path) : m_transport(curl_module().group(std::move(socket_path))) {}

HttpGroup::~HttpGroup() = default;

int HttpGroup::start(HttpRequest request)
{
  return m_transport->start(std::move(request));
}

std::vector<std::pair<int, HttpResponse>> HttpGroup::run(int wake_fd, int timeout_ms,
                                                         const std::function<bool()>& until)
{
  return m_transport->run(wake_fd, timeout_ms, until);
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
