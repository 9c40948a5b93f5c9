#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "fivetran/connector_service.h"

namespace ac::fivetran {

/// gRPC message size limit in both directions (Fivetran: 128 MiB).
inline constexpr int kMaxMessageBytes = 128 * 1024 * 1024;
inline constexpr int kDefaultPort = 50051;

struct ServerOptions {
  int port = kDefaultPort;  ///< 0 = any free port (see Server::port() / port_file)
  std::string host;         ///< "" = every interface, IPv6 [::] and IPv4 0.0.0.0; e.g. "127.0.0.1"
  bool listen = true;       ///< false = in-process channel only (no TCP port)
  std::string port_file;    ///< "" or a file that receives the bound port once listening
  std::chrono::milliseconds shutdown_grace{10'000};  ///< running calls get this long after cancel
  bool json_logs = true;  ///< RunServer: Fivetran's JSON log lines on stdout
  ServiceOptions service;
};

/// A running SourceConnector server.
class Server {
 public:
  /// Builds and starts the server. Throws common::Error when the port cannot be bound.
  static std::unique_ptr<Server> Start(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The bound TCP port (0 when not listening).
  int port() const { return port_; }
  ConnectorService& service() { return *service_; }
  /// A channel to this server that bypasses TCP (messages are still serialized).
  std::shared_ptr<grpc::Channel> InProcessChannel();
  /// Graceful stop: cancels running calls (their Athena queries), refuses new ones, waits up to
  /// `grace` for handlers to return, then forces the rest. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  Server() = default;
  std::unique_ptr<ConnectorService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool stopped_ = false;
};

/// `athena-connector [serve] --port N`: JSON logs on stdout, serves until SIGTERM/SIGINT, then
/// shuts down gracefully (running syncs are cancelled). Returns the process exit code (0 after a
/// signal, 1 when the server could not start). Blocks SIGTERM/SIGINT in the calling thread and the
/// threads it starts; call it from the main thread before other threads exist.
int RunServer(const ServerOptions& options);

}  // namespace ac::fivetran
