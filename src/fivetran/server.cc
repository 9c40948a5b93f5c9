#include "fivetran/server.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "fivetran/json_log.h"

namespace ac::fivetran {
namespace {

grpc::ChannelArguments InProcessChannelArguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return args;
}

void WritePortFile(const std::string& path, int port) {
  // Write then rename, so a reader never sees a partial number.
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << port << "\n";
    if (!out) throw common::ConfigError(fmt::format("cannot write the port file '{}'", path));
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error)
    throw common::ConfigError(
        fmt::format("cannot write the port file '{}': {}", path, error.message()));
}

// Builds a server bound to `address` (empty = no TCP port); returns nullptr if binding failed.
std::unique_ptr<grpc::Server> Build(ConnectorService& service, const std::string& address,
                                    int* selected_port) {
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  // Responses go uncompressed; compressed requests (gzip, deflate) are accepted as usual.
  builder.SetDefaultCompressionAlgorithm(GRPC_COMPRESS_NONE);
  if (!address.empty())
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), selected_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server != nullptr && !address.empty() && *selected_port == 0) {
    server->Shutdown();
    return nullptr;
  }
  return server;
}

}  // namespace

std::unique_ptr<Server> Server::Start(const ServerOptions& options) {
  if (options.listen && (options.port < 0 || options.port > 65535)) {
    throw common::ConfigError(
        fmt::format("--port must be between 0 and 65535, got {}", options.port));
  }
  std::unique_ptr<Server> server(new Server());
  server->service_ = std::make_unique<ConnectorService>(options.service);
  if (!options.listen) {
    server->server_ = Build(*server->service_, "", &server->port_);
    if (server->server_ == nullptr)
      throw common::InternalError("cannot start the in-process gRPC server");
    return server;
  }
  std::vector<std::string> addresses;
  if (options.host.empty()) {
    // gRPC treats a wildcard address as "every interface": [::] makes a dual-stack socket (IPv6
    // and IPv4 0.0.0.0) and falls back to IPv4 alone when IPv6 is unavailable. Binding 0.0.0.0
    // separately would only duplicate it (and pick a second port for --port 0).
    addresses = {fmt::format("[::]:{}", options.port), fmt::format("0.0.0.0:{}", options.port)};
  } else if (options.host.find(':') != std::string::npos && options.host.front() != '[') {
    addresses = {fmt::format("[{}]:{}", options.host, options.port)};
  } else {
    addresses = {fmt::format("{}:{}", options.host, options.port)};
  }
  for (const auto& address : addresses) {
    server->server_ = Build(*server->service_, address, &server->port_);
    if (server->server_ != nullptr) break;
  }
  if (server->server_ == nullptr) {
    throw common::ConfigError(
        fmt::format("cannot listen on port {} (in use or not permitted)", options.port));
  }
  if (!options.port_file.empty()) WritePortFile(options.port_file, server->port_);
  return server;
}

Server::~Server() {
  Shutdown(std::chrono::milliseconds(0));
}

std::shared_ptr<grpc::Channel> Server::InProcessChannel() {
  return server_->InProcessChannel(InProcessChannelArguments());
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  service_->CancelAll();
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
}

int RunServer(const ServerOptions& options) {
  // SIGTERM/SIGINT are taken synchronously by this thread (sigwait); every thread started from
  // here on inherits the blocked mask, so no gRPC thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  if (options.json_logs) InstallJsonStdoutLogger();

  std::unique_ptr<Server> server;
  try {
    server = Server::Start(options);
  } catch (const std::exception& e) {
    spdlog::critical("athena-connector could not start: {}", e.what());
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return 1;
  }
  spdlog::info("athena-connector serving fivetran_sdk.v2.SourceConnector on port {}",
               server->port());

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) != 0) {
  }
  spdlog::info("Received {}: shutting down, cancelling {} running call(s)",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT", server->service().active_calls());
  server->Shutdown(options.shutdown_grace);
  server.reset();
  spdlog::info("athena-connector stopped");
  spdlog::default_logger()->flush();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return 0;
}

}  // namespace ac::fivetran
