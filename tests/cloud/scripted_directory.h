#ifndef DIRBRIDGE_TESTS_CLOUD_SCRIPTED_DIRECTORY_H_
#define DIRBRIDGE_TESTS_CLOUD_SCRIPTED_DIRECTORY_H_

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "dirbridge/v1/directory.pb.h"
#include "tests/cloud/in_process_cloud.h"

namespace dirbridge::testing {

// A directory behind a scripted connector, answering SearchUsers as
// connector_svc does: chunks of chunk_size users, each carrying the
// stream's watermark and server, each sent against a credit (the
// Settings' initial ones, then the Credit frames the cloud sends), then an
// empty OK result, or `failure` after fail_after chunks. Must outlive the
// connectors it serves. Thread-safe.
class ScriptedDirectory {
 public:
  void SetUsers(std::vector<v1::User> users);
  void SetMarks(const std::string& server, const std::string& watermark);
  void SetChunkSize(size_t n);
  void FailAfter(int chunks, absl::Status failure);
  // The SearchUsers requests served so far.
  std::vector<v1::SearchUsersRequest> requests() const;
  // An OnCall that serves SearchUsers and leaves other calls queued.
  ScriptedConnector::OnCall Handler();
  void Serve(const v1::CallRequest& call, ScriptedConnector& connector);

 private:
  struct Stream {
    std::deque<v1::SearchUsersResponse> chunks;
    uint32_t credits = 0;
    absl::Status end;
  };
  // Sends what the stream's credit allows, then its end once all is sent.
  void Pump(uint64_t call_id, ScriptedConnector& connector) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<uint64_t, Stream> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::User> users_ ABSL_GUARDED_BY(mu_);
  std::string server_ ABSL_GUARDED_BY(mu_) = "ldap-a";
  std::string watermark_ ABSL_GUARDED_BY(mu_) = "100";
  size_t chunk_size_ ABSL_GUARDED_BY(mu_) = 2;
  int fail_after_ ABSL_GUARDED_BY(mu_) = -1;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::SearchUsersRequest> requests_ ABSL_GUARDED_BY(mu_);
};

// A directory user with stable id `id`.
v1::User DirectoryUser(const std::string& id, const std::string& email = "");

}  // namespace dirbridge::testing

#endif  // DIRBRIDGE_TESTS_CLOUD_SCRIPTED_DIRECTORY_H_
