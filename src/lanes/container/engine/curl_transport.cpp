// The only file that includes curl.h: every CURL handle of mdivicom is owned here. Built as
// the module mdivicom-curl.so (see http_transport.hpp).
#include "lanes/container/engine/http_transport.hpp"

#include "core/util/module_boundary.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <new>
#include <stdexcept>

#include <curl/curl.h>

namespace mdivicom::container {

namespace {

constexpr const char* k_failed = "libcurl failed";

// curl_global_init before the first handle, curl_global_cleanup at exit.
struct CurlGlobal
{
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

void ensure_curl()
{
  static CurlGlobal global;
}

using EasyPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using MultiPtr = std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)>;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;
using FilePtr = std::unique_ptr<std::FILE, decltype(&std::fclose)>;

MultiPtr new_multi()
{
  ensure_curl();
  MultiPtr multi(curl_multi_init(), &curl_multi_cleanup);
  if (!multi) {
    throw std::bad_alloc();
  }
  return multi;
}

EasyPtr new_easy()
{
  ensure_curl();
  EasyPtr easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) {
    throw std::bad_alloc();
  }
  return easy;
}

// One request in flight with everything curl points into while it runs.
struct Transfer
{
  explicit Transfer(HttpRequest request_) : request(std::move(request_)) {}

  HttpRequest request;
  HttpResponse response;
  SlistPtr headers{nullptr, &curl_slist_free_all};
  FilePtr upload{nullptr, &std::fclose};
  CURL* easy = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

// The caller's callbacks do not throw (http_transport.hpp); one that failed, or a Ctrl-C,
// shows as `cancelled`, and the transfer stops.
bool cancelled(const Transfer& transfer)
{
  return transfer.request.cancelled && transfer.request.cancelled();
}

size_t on_write(char* data, size_t size, size_t count, void* user)
{
  auto& transfer = *static_cast<Transfer*>(user);
  size_t bytes = size * count;
  if (!transfer.request.on_data) {
    transfer.response.body.append(data, bytes);
    return bytes;
  }
  transfer.request.on_data(std::string_view(data, bytes));
  return cancelled(transfer) ? 0 : bytes; // 0 aborts the transfer
}

size_t on_header(char* data, size_t size, size_t count, void* user)
{
  auto& transfer = *static_cast<Transfer*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  auto colon = line.find(':');
  if (colon != std::string_view::npos && line.rfind("HTTP/", 0) != 0) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    transfer.response.headers[name] = std::string(value);
  }
  if ((line == "\r\n" || line == "\n") && transfer.request.on_headers) {
    long status = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) {
      transfer.request.on_headers(status);
    }
  }
  return cancelled(transfer) ? 0 : bytes;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user)
{
  auto& transfer = *static_cast<Transfer*>(user);
  size_t got = std::fread(buffer, 1, size * count, transfer.upload.get());
  if (got == 0 && std::ferror(transfer.upload.get())) {
    return CURL_READFUNC_ABORT;
  }
  return got;
}

// libcurl calls it often while data moves and about once a second while nothing does.
int on_progress(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/, curl_off_t /*ulnow*/)
{
  return cancelled(*static_cast<Transfer*>(user)) ? 1 : 0; // non-zero aborts: CURLE_ABORTED_BY_CALLBACK
}

// Prepares an easy handle for the transfer; false with response.error set when the upload
// file cannot be opened.
bool configure(CURL* easy, const std::string& socket, Transfer& transfer)
{
  const HttpRequest& request = transfer.request;
  std::string url = "http://localhost" + request.target;
  curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, request.timeout_ms);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  if (request.cancelled) {
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  }
  transfer.easy = easy;

  curl_slist* list = nullptr;
  // Engines answer large uploads without "100 Continue"; waiting for it only costs time.
  list = curl_slist_append(list, "Expect:");
  for (const auto& header : request.headers) {
    list = curl_slist_append(list, header.c_str());
  }
  bool has_body = !request.body.empty() || !request.upload.empty();
  if (has_body) {
    list = curl_slist_append(list, ("Content-Type: " + request.content_type).c_str());
  }
  transfer.headers.reset(list);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);

  if (request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    if (!request.upload.empty()) {
      transfer.upload.reset(std::fopen(request.upload.c_str(), "rb"));
      std::error_code ec;
      auto size = std::filesystem::file_size(request.upload, ec);
      if (!transfer.upload || ec) {
        transfer.response.error = "cannot read " + request.upload.string();
        return false;
      }
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, nullptr);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(size));
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, &on_read);
      curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
    } else {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
    }
    if (request.method == "PUT") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "PUT");
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  return true;
}

void finish(CURL* easy, Transfer& transfer, CURLcode code)
{
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  if (code != CURLE_OK) {
    long os_errno = 0;
    curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
    transfer.response.os_errno = static_cast<int>(os_errno);
    transfer.response.error = transfer.error_buffer[0] ? transfer.error_buffer : curl_easy_strerror(code);
  }
}

class CurlClient : public HttpClientTransport
{
public:
  explicit CurlClient(std::string socket_path) : m_socket(std::move(socket_path)) {}

  HttpResponse send(const HttpRequest& request) noexcept override
  {
    HttpResponse response;
    std::string thrown = message_of(
        [&] {
          CURL* easy = m_easy.get();
          curl_easy_reset(easy); // keeps the open connection
          Transfer transfer(request);
          if (configure(easy, m_socket, transfer)) {
            finish(easy, transfer, curl_easy_perform(easy));
          }
          response = std::move(transfer.response);
        },
        k_failed);
    if (!thrown.empty()) {
      response.error = thrown;
    }
    return response;
  }

private:
  std::string m_socket;
  EasyPtr m_easy = new_easy();
};

class CurlGroup : public HttpGroupTransport
{
public:
  explicit CurlGroup(std::string socket_path) : m_socket(std::move(socket_path)) {}
  CurlGroup(const CurlGroup&) = delete;
  CurlGroup& operator=(const CurlGroup&) = delete;

  ~CurlGroup() override
  {
    while (!m_entries.empty()) {
      remove(m_entries.begin()->first);
    }
  }

  int start(HttpRequest request, std::string& error) noexcept override
  {
    int id = -1;
    std::string thrown = message_of(
        [&] {
          Entry entry;
          entry.transfer = std::make_unique<Transfer>(std::move(request));
          if (!configure(entry.easy.get(), m_socket, *entry.transfer)) {
            error = entry.transfer->response.error;
            return;
          }
          curl_multi_add_handle(m_multi.get(), entry.easy.get());
          m_entries.emplace(m_next_id, std::move(entry));
          id = m_next_id++;
        },
        k_failed);
    if (!thrown.empty()) {
      error = thrown;
    }
    return id;
  }

  std::vector<std::pair<int, HttpResponse>> run(int wake_fd, int timeout_ms, const std::function<bool()>& until,
                                                std::string& error) noexcept override
  {
    std::vector<std::pair<int, HttpResponse>> done;
    error = message_of([&] { run_until(done, wake_fd, timeout_ms, until); }, k_failed);
    if (!error.empty()) {
      while (!m_entries.empty()) {
        remove(m_entries.begin()->first);
      }
    }
    return done;
  }

  void abandon(int id) noexcept override { remove(id); }
  bool busy() const noexcept override { return !m_entries.empty(); }

private:
  struct Entry
  {
    EasyPtr easy = new_easy();
    std::unique_ptr<Transfer> transfer;
  };

  void run_until(std::vector<std::pair<int, HttpResponse>>& done, int wake_fd, int timeout_ms,
                 const std::function<bool()>& until)
  {
    using Clock = std::chrono::steady_clock;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    CURLM* multi = m_multi.get();
    while (true) {
      int running = 0;
      curl_multi_perform(multi, &running);
      collect_done(done);
      if (!done.empty() || (until && until())) {
        return;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        return;
      }
      curl_waitfd extra = {};
      extra.fd = wake_fd;
      extra.events = CURL_WAIT_POLLIN;
      int ready = 0;
      curl_multi_poll(multi, wake_fd >= 0 ? &extra : nullptr, wake_fd >= 0 ? 1 : 0, static_cast<int>(left), &ready);
      if (wake_fd >= 0 && (extra.revents & CURL_WAIT_POLLIN) != 0) {
        return;
      }
    }
  }

  void collect_done(std::vector<std::pair<int, HttpResponse>>& done)
  {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(m_multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) {
        continue;
      }
      for (auto& [id, entry] : m_entries) {
        if (entry.easy.get() != message->easy_handle) {
          continue;
        }
        finish(entry.easy.get(), *entry.transfer, message->data.result);
        done.emplace_back(id, std::move(entry.transfer->response));
        remove(id);
        break;
      }
    }
  }

  void remove(int id)
  {
    auto it = m_entries.find(id);
    if (it != m_entries.end()) {
      curl_multi_remove_handle(m_multi.get(), it->second.easy.get());
      m_entries.erase(it);
    }
  }

  std::string m_socket;
  MultiPtr m_multi = new_multi();
  std::map<int, Entry> m_entries;
  int m_next_id = 1;
};

// A transport, or null with `error` set: nothing is thrown across the module boundary.
template <typename Transport, typename Make>
std::unique_ptr<Transport> made(Make&& make, std::string& error) noexcept
{
  std::unique_ptr<Transport> transport;
  error = message_of([&] { transport = make(); }, k_failed);
  return transport;
}

const CurlModule k_module = {
    [](std::string socket_path, std::string& error) noexcept {
      return made<HttpClientTransport>([&] { return std::make_unique<CurlClient>(std::move(socket_path)); }, error);
    },
    [](std::string socket_path, std::string& error) noexcept {
      return made<HttpGroupTransport>([&] { return std::make_unique<CurlGroup>(std::move(socket_path)); }, error);
    },
};

} // namespace

} // namespace mdivicom::container

extern "C" const mdivicom::container::CurlModule* mdivicom_curl_module()
{
  return &mdivicom::container::k_module;
}
