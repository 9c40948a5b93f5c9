#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>

#include "aws/http.h"
#include "aws/test_http_server.h"
#include "common/error.h"

namespace ac::aws {
namespace {

using testing::LocalHttpServer;
using testing::RawSocketServer;

HttpRequest Request(const std::string& base, const std::string& method, const std::string& path) {
  HttpRequest request;
  request.method = method;
  request.url = Url::Parse(base + path);
  return request;
}

TEST(CurlTransportTest, SendsAndReceivesHeadersAndBody) {
  LocalHttpServer server;
  std::string seen_body, seen_custom, seen_content_type, seen_expect, seen_user_agent;
  server.server().Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
    seen_body = req.body;
    seen_custom = req.get_header_value("X-Custom");
    seen_content_type = req.get_header_value("Content-Type");
    seen_expect = req.get_header_value("Expect");
    seen_user_agent = req.get_header_value("User-Agent");
    res.status = 201;
    res.set_header("X-Reply", "  spaced value ");
    res.set_header("x-amzn-RequestId", "req-1");
    res.set_content("created", "text/plain");
  });
  server.Start();

  auto transport = MakeCurlTransport();
  HttpRequest request = Request(server.url(), "POST", "/echo?a=1");
  request.headers.emplace_back("X-Custom", "hello");
  request.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
  request.body = std::string("{\"k\":\"v\"}\0tail", 14);  // binary-safe
  HttpResponse response = transport->Send(request);

  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "created");
  ASSERT_NE(FindHeader(response.headers, "x-reply"), nullptr);
  EXPECT_EQ(*FindHeader(response.headers, "x-reply"), "spaced value");
  ASSERT_NE(FindHeader(response.headers, "X-AMZN-REQUESTID"), nullptr);
  EXPECT_EQ(*FindHeader(response.headers, "X-AMZN-REQUESTID"), "req-1");
  EXPECT_EQ(seen_body, request.body);
  EXPECT_EQ(seen_custom, "hello");
  EXPECT_EQ(seen_content_type, "application/x-amz-json-1.1");
  EXPECT_EQ(seen_expect, "");  // no `Expect: 100-continue`
  EXPECT_FALSE(seen_user_agent.empty());
}

TEST(CurlTransportTest, PostWithoutContentTypeSendsNone) {
  LocalHttpServer server;
  bool had_content_type = true;
  server.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    had_content_type = req.has_header("Content-Type");
    res.set_content("ok", "text/plain");
  });
  server.Start();
  auto transport = MakeCurlTransport();
  HttpRequest request = Request(server.url(), "POST", "/");
  request.body = "a=b";
  EXPECT_EQ(transport->Send(request).status, 200);
  EXPECT_FALSE(had_content_type);  // curl's default form content type would not be signed
}

TEST(CurlTransportTest, StreamsBodyInChunks) {
  LocalHttpServer server;
  constexpr size_t kChunkBytes = 64 * 1024;
  constexpr int kChunks = 8;
  server.server().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider(
        "application/octet-stream", [&](size_t offset, httplib::DataSink& sink) {
          size_t index = offset / kChunkBytes;
          if (index >= kChunks) {
            sink.done();
            return true;
          }
          std::string chunk(kChunkBytes, static_cast<char>('a' + index));
          sink.write(chunk.data(), chunk.size());
          return true;
        });
  });
  server.Start();

  auto transport = MakeCurlTransport();
  std::string received;
  int callbacks = 0;
  HttpResponse response =
      transport->Send(Request(server.url(), "GET", "/big"), [&](std::string_view chunk) {
        ++callbacks;
        received.append(chunk);
        return true;
      });
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty());
  ASSERT_EQ(received.size(), kChunkBytes * kChunks);
  for (int i = 0; i < kChunks; ++i)
    EXPECT_EQ(received[i * kChunkBytes], static_cast<char>('a' + i));
  EXPECT_GT(callbacks, 1);
}

TEST(CurlTransportTest, AbortFromBodyCallbackThrowsCancelledAndTransportStaysUsable) {
  LocalHttpServer server;
  server.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(1 << 20, 'x'), "application/octet-stream");
  });
  server.server().Get("/small", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("small", "text/plain");
  });
  server.Start();

  auto transport = MakeCurlTransport();
  size_t received = 0;
  EXPECT_THROW(transport->Send(Request(server.url(), "GET", "/big"),
                               [&](std::string_view chunk) {
                                 received += chunk.size();
                                 return false;
                               }),
               common::CancelledError);
  EXPECT_GT(received, 0u);
  EXPECT_LT(received, size_t{1} << 20);
  EXPECT_EQ(transport->Send(Request(server.url(), "GET", "/small")).body, "small");
}

TEST(CurlTransportTest, BodyCallbackExceptionPropagates) {
  LocalHttpServer server;
  server.server().Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("data", "text/plain");
  });
  server.Start();
  auto transport = MakeCurlTransport();
  EXPECT_THROW(
      transport->Send(Request(server.url(), "GET", "/"),
                      [](std::string_view) -> bool { throw std::logic_error("consumer failed"); }),
      std::logic_error);
}

TEST(CurlTransportTest, ErrorBodyIsBufferedNotStreamed) {
  LocalHttpServer server;
  server.server().Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("<Error><Code>NoSuchKey</Code></Error>", "application/xml");
  });
  server.Start();
  auto transport = MakeCurlTransport();
  int callbacks = 0;
  HttpResponse response =
      transport->Send(Request(server.url(), "GET", "/missing"), [&](std::string_view) {
        ++callbacks;
        return true;
      });
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(callbacks, 0);
  EXPECT_EQ(response.body, "<Error><Code>NoSuchKey</Code></Error>");
}

TEST(CurlTransportTest, HeadReturnsHeadersWithoutBody) {
  LocalHttpServer server;
  std::string method;
  server.server().Get("/object", [&](const httplib::Request& req, httplib::Response& res) {
    method = req.method;
    res.set_header("ETag", "\"abc\"");
    res.set_content(std::string(1234, 'z'), "text/csv");
  });
  server.Start();
  auto transport = MakeCurlTransport();
  HttpResponse response = transport->Send(Request(server.url(), "HEAD", "/object"));
  EXPECT_EQ(method, "HEAD");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty());
  ASSERT_NE(FindHeader(response.headers, "content-length"), nullptr);
  EXPECT_EQ(*FindHeader(response.headers, "content-length"), "1234");
  ASSERT_NE(FindHeader(response.headers, "etag"), nullptr);
  EXPECT_EQ(*FindHeader(response.headers, "etag"), "\"abc\"");
  // The connection is still in a clean state for the next request.
  EXPECT_EQ(transport->Send(Request(server.url(), "GET", "/object")).body.size(), 1234u);
}

TEST(CurlTransportTest, ReusesTheConnection) {
  LocalHttpServer server;
  std::mutex mutex;
  std::vector<int> client_ports;
  server.server().Get("/", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex);
    client_ports.push_back(req.remote_port);
    res.set_content("ok", "text/plain");
  });
  server.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex);
    client_ports.push_back(req.remote_port);
    res.set_content("ok", "text/plain");
  });
  server.Start();
  auto transport = MakeCurlTransport();
  for (int i = 0; i < 4; ++i) {
    HttpRequest request = Request(server.url(), i % 2 == 0 ? "GET" : "POST", "/");
    if (i % 2 == 1) request.body = "x";
    EXPECT_EQ(transport->Send(request).status, 200);
  }
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(client_ports.size(), 4u);
  EXPECT_EQ(std::set<int>(client_ports.begin(), client_ports.end()).size(), 1u)
      << "every request should use the same keep-alive connection";
}

TEST(CurlTransportTest, ConnectionRefusedIsConnectError) {
  auto transport = MakeCurlTransport();
  int port = testing::UnusedLocalPort();
  try {
    transport->Send(Request("http://127.0.0.1:" + std::to_string(port), "GET", "/"));
    FAIL() << "expected TransportError";
  } catch (const TransportError& error) {
    EXPECT_EQ(error.reason(), TransportError::Reason::kConnect);
    EXPECT_NE(std::string(error.what()).find("127.0.0.1"), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos);
  }
}

TEST(CurlTransportTest, TotalTimeoutIsTimeoutError) {
  LocalHttpServer server;
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  server.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
    res.set_content("late", "text/plain");
  });
  server.Start();
  HttpTransportOptions options;
  options.timeouts.total = std::chrono::milliseconds(100);
  auto transport = MakeCurlTransport(options);
  try {
    transport->Send(Request(server.url(), "GET", "/slow"));
    ADD_FAILURE() << "expected TransportError";
  } catch (const TransportError& error) {
    EXPECT_EQ(error.reason(), TransportError::Reason::kTimeout) << error.what();
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  cv.notify_all();
}

TEST(CurlTransportTest, ConnectionClosedMidResponseIsResetError) {
  RawSocketServer server([](int, const std::string&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part");
  });
  auto transport = MakeCurlTransport();
  try {
    transport->Send(Request(server.url(), "GET", "/"));
    FAIL() << "expected TransportError";
  } catch (const TransportError& error) {
    EXPECT_EQ(error.reason(), TransportError::Reason::kReset) << error.what();
  }
}

TEST(CurlTransportTest, ConnectionClosedWithoutResponseIsResetError) {
  RawSocketServer server([](int, const std::string&) { return std::string(); });
  auto transport = MakeCurlTransport();
  try {
    transport->Send(Request(server.url(), "GET", "/"));
    FAIL() << "expected TransportError";
  } catch (const TransportError& error) {
    EXPECT_EQ(error.reason(), TransportError::Reason::kReset) << error.what();
  }
}

TEST(CurlTransportTest, StatusAndHeadersComeFromTheFinalResponse) {
  RawSocketServer server([](int, const std::string&) {
    return std::string(
        "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
        "HTTP/1.1 503 Service Unavailable\r\nX-Final: yes\r\nContent-Length: 4\r\nConnection: "
        "close\r\n\r\nbusy");
  });
  auto transport = MakeCurlTransport();
  HttpResponse response = transport->Send(Request(server.url(), "GET", "/"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "busy");
  EXPECT_EQ(FindHeader(response.headers, "x-interim"), nullptr);
  EXPECT_NE(FindHeader(response.headers, "x-final"), nullptr);
}

TEST(CurlTransportTest, FactoryMakesIndependentTransports) {
  HttpTransportFactory factory = CurlTransportFactory();
  auto a = factory();
  auto b = factory();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a.get(), b.get());
}

// --- A server that misbehaves on purpose: every bound of the transport, with short limits. ---

using testing::ScriptedSocketServer;
using Connection = ScriptedSocketServer::Connection;

HttpTransportOptions ShortBounds() {
  HttpTransportOptions options;
  options.timeouts.connect = std::chrono::milliseconds(2000);
  options.timeouts.total = std::chrono::milliseconds(20'000);
  options.timeouts.low_speed_bytes_per_second = 100;
  options.timeouts.low_speed_window = std::chrono::seconds(1);
  options.limits.max_body_bytes = 1 << 20;
  options.limits.max_header_bytes = 64 * 1024;
  return options;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(CurlTransportBoundsTest, TheDefaultsAreFiniteAndNamed) {
  const HttpTimeouts timeouts;
  EXPECT_EQ(timeouts.connect, std::chrono::seconds(10));
  EXPECT_EQ(timeouts.total, std::chrono::seconds(300));
  EXPECT_EQ(timeouts.low_speed_bytes_per_second, 1024u);
  EXPECT_EQ(timeouts.low_speed_window, std::chrono::seconds(30));
  const HttpLimits limits;
  EXPECT_EQ(limits.max_header_bytes, 64u * 1024);
  EXPECT_EQ(limits.max_body_bytes, size_t{64} << 20);
}

TEST(CurlTransportBoundsTest, AnEndlessChunkedBodyStopsAtTheBodyLimit) {
  ScriptedSocketServer server([](Connection& c) {
    if (!c.Send(ScriptedSocketServer::ChunkedHead())) return;
    const std::string chunk = ScriptedSocketServer::Chunk(std::string(64 * 1024, 'x'));
    while (c.Send(chunk)) {
    }
  });
  auto transport = MakeCurlTransport(ShortBounds());
  const auto start = std::chrono::steady_clock::now();
  try {
    transport->Send(Request(server.url(), "POST", "/"));
    FAIL() << "no error";
  } catch (const common::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "HTTP POST 127.0.0.1:" + std::to_string(server.port()) +
                  ": the response body exceeds the limit of 1048576 bytes (max_response_mb)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_LT(SecondsSince(start), 5.0);
}

TEST(CurlTransportBoundsTest, AnEndlessErrorBodyOfAStreamedRequestIsBoundedToo) {
  ScriptedSocketServer server([](Connection& c) {
    if (!c.Send("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n")) return;
    const std::string chunk = ScriptedSocketServer::Chunk(std::string(64 * 1024, 'e'));
    while (c.Send(chunk)) {
    }
  });
  auto transport = MakeCurlTransport(ShortBounds());
  EXPECT_THROW(
      transport->Send(Request(server.url(), "GET", "/"), [](std::string_view) { return true; }),
      common::ProtocolError);
}

TEST(CurlTransportBoundsTest, ABodyTrickledBelowTheMinimumRateTimesOut) {
  ScriptedSocketServer server([](Connection& c) {
    if (!c.Send("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")) return;
    while (c.Send("x") && c.Wait(100)) {  // 10 bytes/s
    }
  });
  auto transport = MakeCurlTransport(ShortBounds());
  const auto start = std::chrono::steady_clock::now();
  try {
    transport->Send(Request(server.url(), "GET", "/"));
    FAIL() << "no error";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.reason(), TransportError::Reason::kTimeout);  // the retry policy's timeout class
    EXPECT_NE(std::string(e.what()).find("at least 100 bytes/s over 1 s"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(SecondsSince(start), 5.0);
}

TEST(CurlTransportBoundsTest, ASilentServerTimesOutAfterTheRateWindow) {
  ScriptedSocketServer server([](Connection& c) { c.Wait(60'000); });
  auto transport = MakeCurlTransport(ShortBounds());
  const auto start = std::chrono::steady_clock::now();
  try {
    transport->Send(Request(server.url(), "GET", "/"));
    FAIL() << "no error";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.reason(), TransportError::Reason::kTimeout);
    EXPECT_NE(std::string(e.what()).find("(limits: connect 2000 ms, whole call 20000 ms"),
              std::string::npos)
        << e.what();
  }
  EXPECT_LT(SecondsSince(start), 5.0);
}

TEST(CurlTransportBoundsTest, AHugeHeaderIsAProtocolErrorNotOutOfMemory) {
  // One header line of 1 MiB (beyond libcurl's own per-line cap) ...
  ScriptedSocketServer one_line([](Connection& c) {
    c.Send("HTTP/1.1 200 OK\r\nX-Huge: " + std::string(1 << 20, 'h') +
           "\r\nContent-Length: 0\r\n\r\n");
  });
  // ... and many header lines together past the 64 KiB limit.
  ScriptedSocketServer many_lines([](Connection& c) {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 200; ++i)
      head += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'f') + "\r\n";
    c.Send(head + "Content-Length: 0\r\n\r\n");
  });
  auto transport = MakeCurlTransport(ShortBounds());
  for (const ScriptedSocketServer* server : {&one_line, &many_lines}) {
    try {
      transport->Send(Request(server->url(), "GET", "/"));
      ADD_FAILURE() << "no error";
    } catch (const common::ProtocolError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("65536 bytes"), std::string::npos) << message;
      EXPECT_NE(message.find("header"), std::string::npos) << message;
      EXPECT_EQ(message.find("Out of memory"), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace ac::aws
