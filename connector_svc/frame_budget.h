#ifndef DIRBRIDGE_CONNECTOR_SVC_FRAME_BUDGET_H_
#define DIRBRIDGE_CONNECTOR_SVC_FRAME_BUDGET_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "connector_svc/call.h"
#include "connector_svc/ldap/directory.h"
#include "dirbridge/v1/tunnel.pb.h"

namespace dirbridge::connector {

// Every frame the connector sends stays under the cloud's max_frame_bytes:
// a frame over it would end the whole tunnel (the cloud's gRPC refuses it),
// every call of the tenant with it. What does not fit fails its own call
// with RESOURCE_EXHAUSTED, naming the size and the limit.

// SearchUsers as chunks: each LDAP page is cut into chunks of at most
// Call::answer_budget() bytes (and so at most page_size users), each sent
// against a credit of its own. A single user heavier than the budget (an
// account in ten thousand groups) stops the stream with its DN and size.
// `chunks` counts the chunks sent.
class UserChunker {
 public:
  using Emit = std::function<void(v1::ResultChunk)>;
  UserChunker(Call& call, const Emit& emit) : call_(call), emit_(emit) {}

  // One page of users and the marks after it.
  absl::Status Add(std::vector<v1::User>&& users, const Directory::PageMarks& marks);
  int64_t chunks() const { return chunks_; }

 private:
  // Waits for a credit, then sends `chunk`.
  absl::Status Send(v1::ResultChunk chunk);

  Call& call_;
  const Emit& emit_;
  int64_t chunks_ = 0;
};

// RESOURCE_EXHAUSTED when `user` alone is heavier than `budget`.
absl::Status CheckUserFits(const v1::User& user, size_t budget);

// A result heavier than the call's budget becomes RESOURCE_EXHAUSTED, its
// response dropped: the last guard before a frame is sent.
void FitAnswer(const Call& call, v1::CallResult* result);

}  // namespace dirbridge::connector

#endif  // DIRBRIDGE_CONNECTOR_SVC_FRAME_BUDGET_H_
