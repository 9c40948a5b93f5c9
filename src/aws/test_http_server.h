#pragma once
// Local HTTP servers for the aws module's tests: an httplib server on 127.0.0.1:<free port>, a
// raw-socket server that can close mid-response, and a scripted server that misbehaves on purpose
// (endless or trickled bodies, huge headers, silence). Test-only; included by *_test.cc.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/strings.h"

namespace ac::aws::testing {

/// httplib server bound to 127.0.0.1 on a free port. Register handlers on server(), then Start().
class LocalHttpServer {
 public:
  // No Nagle delay on the answers: a test sending hundreds of requests must not wait for delayed
  // ACKs (the connector's curl transport sets TCP_NODELAY too).
  LocalHttpServer() { server_.set_tcp_nodelay(true); }
  ~LocalHttpServer() { Stop(); }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  httplib::Server& server() { return server_; }

  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot bind a test server on 127.0.0.1");
    // The socket already listens: connections queue until the accept loop runs.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
inline int UnusedLocalPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// A listening TCP socket on 127.0.0.1 at a free port (set in `port`); throws naming `what`.
inline int ListenOnLoopback(const char* what, int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("cannot bind a ") + what + " test server on 127.0.0.1");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

/// A one-thread TCP server: for each connection it reads one request (headers + Content-Length
/// body), writes whatever `respond(index, request)` returns, and closes the connection. Responses
/// that are cut short simulate a connection reset mid-response.
class RawSocketServer {
 public:
  using Responder = std::function<std::string(int connection_index, const std::string& request)>;

  explicit RawSocketServer(Responder respond) : respond_(std::move(respond)) {
    listen_fd_ = ListenOnLoopback("raw", port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~RawSocketServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  RawSocketServer(const RawSocketServer&) = delete;
  RawSocketServer& operator=(const RawSocketServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }

 private:
  void Run() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::string request = ReadRequest(fd);
      std::string reply = respond_(connections_.fetch_add(1), request);
      size_t sent = 0;
      while (sent < reply.size()) {
        ssize_t n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
    }
  }

  static std::string ReadRequest(int fd) {
    std::string data;
    char buffer[4096];
    size_t header_end = std::string::npos;
    size_t wanted = 0;
    while (true) {
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          const std::string lower = common::Lower(std::string_view(data).substr(0, header_end));
          size_t cl = lower.find("content-length:");
          size_t body_size = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15));
          wanted = header_end + 4 + body_size;
        }
      }
      if (header_end != std::string::npos && data.size() >= wanted) return data;
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return data;
      data.append(buffer, static_cast<size_t>(n));
    }
  }

  Responder respond_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

/// A TCP server that misbehaves on purpose, one scripted behaviour per connection: after reading
/// the request it runs `script(connection)`, which writes what it likes, as slowly as it likes —
/// an endless chunked body, a body trickled a byte at a time, a huge header, or nothing at all.
/// Each connection has its own thread; a script ends when the client hangs up (Send fails or
/// Wait sees the peer gone) or when the server is destroyed.
class ScriptedSocketServer {
 public:
  class Connection {
   public:
    Connection(int fd, std::string request, int index, const std::atomic<bool>& stopping)
        : fd_(fd), request_(std::move(request)), index_(index), stopping_(stopping) {}
    const std::string& request() const { return request_; }
    int index() const { return index_; }
    /// Writes all of `data`; false once the client is gone (or the server stops).
    bool Send(std::string_view data) {
      size_t sent = 0;
      while (sent < data.size()) {
        if (stopping_) return false;
        ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
      }
      return true;
    }
    /// Sleeps `ms` in small steps; false once the client hung up or the server stops.
    bool Wait(int ms) {
      for (int waited = 0; waited < ms; waited += 10) {
        if (stopping_ || PeerClosed()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return !stopping_ && !PeerClosed();
    }

   private:
    bool PeerClosed() const {
      char byte;
      ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }
    int fd_;
    std::string request_;
    int index_;
    const std::atomic<bool>& stopping_;
  };
  using Script = std::function<void(Connection& connection)>;

  explicit ScriptedSocketServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ListenOnLoopback("scripted", port_);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~ScriptedSocketServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    for (auto& t : handlers_) t.join();
  }
  ScriptedSocketServer(const ScriptedSocketServer&) = delete;
  ScriptedSocketServer& operator=(const ScriptedSocketServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }

  /// Response head of a chunked 200 (what an endless body starts with).
  static std::string ChunkedHead() {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
           "Transfer-Encoding: chunked\r\n\r\n";
  }
  /// One chunk of a chunked body.
  static std::string Chunk(std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    return std::string(size) + std::string(data) + "\r\n";
  }

 private:
  void Accept() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      const int index = connections_.fetch_add(1);
      handlers_.emplace_back([this, fd, index] {
        Connection connection(fd, ReadHead(fd), index, stopping_);
        script_(connection);
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
      });
    }
  }

  /// The request head and a Content-Length body.
  static std::string ReadHead(int fd) {
    std::string data;
    char buffer[4096];
    size_t wanted = std::string::npos;
    while (wanted == std::string::npos || data.size() < wanted) {
      if (wanted == std::string::npos) {
        const size_t end = data.find("\r\n\r\n");
        if (end != std::string::npos) {
          const std::string lower = common::Lower(std::string_view(data).substr(0, end));
          const size_t cl = lower.find("content-length:");
          wanted = end + 4 + (cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15)));
          if (data.size() >= wanted) break;
        }
      }
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      data.append(buffer, static_cast<size_t>(n));
    }
    return data;
  }

  Script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::vector<std::thread> handlers_;  ///< touched by the acceptor, joined after it
};

}  // namespace ac::aws::testing
