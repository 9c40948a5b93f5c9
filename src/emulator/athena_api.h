#pragma once

// The Athena JSON 1.1 operations (POST /, X-Amz-Target: AmazonAthena.<Op>) over the Engine.

#include <string>
#include <string_view>

#include "emulator/engine.h"

namespace ac::emulator {

struct ApiReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/x-amz-json-1.1";
};

/// The JSON error body Athena sends: {"__type": ..., "Message": ...[, "AthenaErrorCode": ...]}.
ApiReply AthenaErrorReply(int status, std::string_view type, std::string_view message,
                          std::string_view athena_error_code = "");

class AthenaApi {
 public:
  explicit AthenaApi(Engine& engine) : engine_(engine) {}

  /// Runs `operation` (the part after "AmazonAthena.") with a JSON request body.
  ApiReply Handle(std::string_view operation, std::string_view body);

 private:
  Engine& engine_;
};

}  // namespace ac::emulator
