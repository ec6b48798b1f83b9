#include "connector_svc/dispatcher.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/call_kind.h"
#include "common/call_status.h"
#include "common/field_error.h"
#include "common/log.h"
#include "common/memory.h"
#include "common/metrics.h"
#include "common/sealed_password.h"
#include "connector_svc/frame_budget.h"

namespace dirbridge::connector {

Dispatcher::~Dispatcher() {
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &async_in_flight_));
  }
  crypto::Wipe(password_key_.private_key);
}

void Dispatcher::set_connector_id(std::string id) {
  absl::MutexLock lock(&mu_);
  connector_id_ = std::move(id);
}

void Dispatcher::Dispatch(v1::CallRequest request, std::shared_ptr<Call> call,
                          Reply reply, Emit emit) {
  // The last guard before a frame is sent, on every path that answers (a
  // refusal's reason included): a frame over the limit ends the tunnel.
  reply = [call, reply = std::move(reply)](v1::CallResult result) {
    FitAnswer(*call, &result);
    reply(std::move(result));
  };
  // An echo never blocks: answered here, on the stream's thread, it costs
  // no hand-off (it is what measures the tunnel itself). Everything that
  // may wait on LDAP or a lock goes to the pool.
  if (request.request_case() == v1::CallRequest::kEcho) {
    reply(Handle(request, *call, emit));
    return;
  }
  if (request.request_case() == v1::CallRequest::kAuthenticate) {
    DispatchAuthenticate(std::move(request), std::move(call), std::move(reply));
    return;
  }
  if (request.request_case() == v1::CallRequest::kSearchUsers) {
    DispatchStream(std::move(request), std::move(call), std::move(reply), std::move(emit));
    return;
  }
  pool_.Schedule([this, request = std::move(request), call = std::move(call),
                  reply = std::move(reply), emit = std::move(emit)]() {
    if (call->cancelled()) return;
    v1::CallResult result = Handle(request, *call, emit);
    if (call->cancelled()) return;  // the cloud stopped waiting
    reply(std::move(result));
  });
}

void Dispatcher::DispatchStream(v1::CallRequest request, std::shared_ptr<Call> call,
                                Reply reply, Emit emit) {
  bool admitted = false;
  {
    absl::MutexLock lock(&mu_);
    if (streams_ < max_streams_) {
      ++streams_;
      admitted = true;
    }
  }
  if (!admitted) {
    v1::CallResult result;
    result.set_call_id(request.call_id());
    SetCallStatus(absl::ResourceExhaustedError(absl::StrCat(
                      "connector: ", max_streams_, " SearchUsers streams are running, the most "
                      "ldap.max_streams allows; retry when one ends")),
                  &result);
    Record(request.request_case(), result);
    reply(std::move(result));
    return;
  }
  // Admitted streams never outnumber stream_pool_'s threads: none queues.
  stream_pool_.Schedule([this, request = std::move(request), call = std::move(call),
                         reply = std::move(reply), emit = std::move(emit)]() {
    v1::CallResult result;
    if (!call->cancelled()) result = Handle(request, *call, emit);
    {
      // Given back before the reply: a caller that saw the answer may
      // start the next stream at once.
      absl::MutexLock lock(&mu_);
      --streams_;
    }
    if (!call->cancelled()) reply(std::move(result));
  });
}

absl::Status Dispatcher::SearchUsers(const v1::SearchUsersRequest& request, Call& call,
                                     const Emit& emit) {
  UserChunker chunker(call, emit);
  return directory_->SearchUsers(
      request.base_dn(), request.group_dn(), static_cast<int>(request.page_size()),
      request.changed_since(), call.op_context(),
      [&](std::vector<v1::User>&& users, const Directory::PageMarks& marks) {
        return chunker.Add(std::move(users), marks);
      });
}

absl::StatusOr<std::string> Dispatcher::OpenPassword(const std::string& clear,
                                                     const std::string& sealed,
                                                     const std::string& username,
                                                     absl::string_view field) const {
  std::string password;
  if (!sealed.empty()) {
    if (!clear.empty()) {
      return FieldError(field, absl::StrCat("send ", field, " or sealed_", field, ", not both"));
    }
    absl::StatusOr<std::string> opened = crypto::Open(
        password_key_, sealed, SealedPasswordAad(tenant_id_, username), kSealedPasswordInfo);
    if (!opened.ok()) {
      return FieldError(absl::StrCat("sealed_", field),
                        absl::StrCat("sealed_", field,
                                     " does not open here: sealed to another connector's key, "
                                     "or for another tenant or username"));
    }
    password = std::move(*opened);
  } else {
    password = clear;
  }
  if (absl::StripAsciiWhitespace(password).empty()) {
    crypto::Wipe(password);
    return FieldError(field, absl::StrCat(field, " is empty"));
  }
  return password;
}

absl::StatusOr<v1::ChangePasswordResponse> Dispatcher::ChangePassword(
    const v1::ChangePasswordRequest& request, const OpContext& ctx) {
  absl::StatusOr<std::string> old_password = OpenPassword(
      request.old_password(), request.sealed_old_password(), request.username(), "old_password");
  if (!old_password.ok()) return old_password.status();
  absl::Cleanup wipe_old = [&old_password] { crypto::Wipe(*old_password); };
  absl::StatusOr<std::string> new_password = OpenPassword(
      request.new_password(), request.sealed_new_password(), request.username(), "new_password");
  if (!new_password.ok()) return new_password.status();
  absl::Cleanup wipe_new = [&new_password] { crypto::Wipe(*new_password); };
  absl::StatusOr<Directory::ChangeOutcome> outcome =
      directory_->ChangePassword(request.username(), *old_password, *new_password, ctx);
  if (!outcome.ok()) return outcome.status();
  v1::ChangePasswordResponse out;
  out.set_result(outcome->result);
  out.set_message(std::move(outcome->message));
  return out;
}

void Dispatcher::DispatchAuthenticate(v1::CallRequest request, std::shared_ptr<Call> call,
                                      Reply reply) {
  v1::CallResult result;
  result.set_call_id(request.call_id());
  OpContext ctx = call->op_context();
  absl::StatusOr<std::string> password =
      absl::Now() >= ctx.deadline
          ? absl::DeadlineExceededError("deadline passed before the call ran")
          : OpenPassword(request.authenticate().password(),
                         request.authenticate().sealed_password(),
                         request.authenticate().username(), "password");
  if (!password.ok()) {
    SetCallStatus(password.status(), &result);
    Record(v1::CallRequest::kAuthenticate, result);
    reply(std::move(result));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    ++async_in_flight_;
  }
  directory_->AuthenticateAsync(
      request.authenticate().username(), std::move(*password), ctx, &pool_,
      [this, result = std::move(result), call = std::move(call), reply = std::move(reply)](
          absl::StatusOr<Directory::AuthOutcome> outcome) mutable {
        if (!outcome.ok()) {
          SetCallStatus(outcome.status(), &result);
        } else {
          v1::AuthenticateResponse* out = result.mutable_authenticate();
          out->set_result(outcome->result);
          if (outcome->result == v1::AUTH_RESULT_OK) {
            absl::Status fits = CheckUserFits(outcome->user, call->answer_budget());
            if (fits.ok()) {
              *out->mutable_user() = std::move(outcome->user);
            } else {
              result.clear_authenticate();
              SetCallStatus(fits, &result);
            }
          }
        }
        FitAnswer(*call, &result);
        Record(v1::CallRequest::kAuthenticate, result);
        if (!call->cancelled()) reply(std::move(result));
        absl::MutexLock lock(&mu_);
        --async_in_flight_;
      });
}

absl::StatusOr<v1::User> Dispatcher::GetUser(const v1::GetUserRequest& request,
                                              const OpContext& ctx) {
  if (request.within_groups_size() > kMaxWithinGroups) {
    return FieldError("within_groups", absl::StrCat("within_groups lists ",
                                                    request.within_groups_size(),
                                                    " groups; at most ", kMaxWithinGroups));
  }
  absl::StatusOr<v1::User> user = directory_->GetUser(request.username(), ctx);
  if (!user.ok() || request.within_groups().empty()) return user;
  // Groups the user is in directly need no walk (a walk reads a whole
  // group on servers without the in-chain rule).
  std::vector<std::string> asked;
  for (const std::string& g : request.within_groups()) {
    if (std::find(user->groups().begin(), user->groups().end(), g) == user->groups().end()) {
      asked.push_back(g);
    }
  }
  if (asked.empty()) return user;
  absl::StatusOr<std::vector<std::string>> in = directory_->NestedGroupsOf(user->dn(), asked, ctx);
  if (!in.ok()) return in.status();
  for (std::string& g : *in) user->add_groups(std::move(g));
  return user;
}

v1::CallResult Dispatcher::Handle(const v1::CallRequest& request, Call& call,
                                  const Emit& emit) {
  v1::CallResult result;
  result.set_call_id(request.call_id());
  OpContext ctx = call.op_context();
  if (absl::Now() >= ctx.deadline) {
    SetCallStatus(absl::DeadlineExceededError("deadline passed before the call ran"), &result);
    return result;
  }
  switch (request.request_case()) {
    case v1::CallRequest::kEcho: {
      result.mutable_echo()->set_payload(request.echo().payload());
      absl::MutexLock lock(&mu_);
      result.mutable_echo()->set_connector_id(connector_id_);
      break;
    }
    case v1::CallRequest::kListNamingContexts: {
      absl::StatusOr<NamingContexts> nc = directory_->ListNamingContexts(ctx);
      if (!nc.ok()) {
        SetCallStatus(nc.status(), &result);
        break;
      }
      auto* out = result.mutable_list_naming_contexts();
      for (const std::string& n : nc->naming_contexts) out->add_naming_contexts(n);
      out->set_default_naming_context(nc->default_naming_context);
      break;
    }
    case v1::CallRequest::kListOrganizationalUnits: {
      auto units = directory_->ListOrganizationalUnits(
          request.list_organizational_units().base_dn(), ctx);
      if (!units.ok()) {
        SetCallStatus(units.status(), &result);
        break;
      }
      auto* out = result.mutable_list_organizational_units();
      for (v1::OrganizationalUnit& u : *units) *out->add_units() = std::move(u);
      break;
    }
    case v1::CallRequest::kListGroups: {
      auto groups = directory_->ListGroups(request.list_groups().base_dn(),
                                           request.list_groups().name_prefix(), ctx);
      if (!groups.ok()) {
        SetCallStatus(groups.status(), &result);
        break;
      }
      auto* out = result.mutable_list_groups();
      for (v1::Group& g : *groups) *out->add_groups() = std::move(g);
      break;
    }
    case v1::CallRequest::kGetUser: {
      absl::StatusOr<v1::User> user = GetUser(request.get_user(), ctx);
      if (user.ok()) {
        if (absl::Status fits = CheckUserFits(*user, call.answer_budget()); !fits.ok()) {
          user = fits;
        }
      }
      if (!user.ok()) {
        SetCallStatus(user.status(), &result);
        break;
      }
      *result.mutable_get_user() = std::move(*user);
      break;
    }
    case v1::CallRequest::kAuthenticate:
      // Dispatch hands logins to DispatchAuthenticate: they never hold a worker.
      SetCallStatus(absl::InternalError("authenticate reached the worker path"), &result);
      break;
    case v1::CallRequest::kChangePassword: {
      absl::StatusOr<v1::ChangePasswordResponse> r =
          ChangePassword(request.change_password(), ctx);
      if (!r.ok()) {
        SetCallStatus(r.status(), &result);
        break;
      }
      *result.mutable_change_password() = std::move(*r);
      break;
    }
    case v1::CallRequest::kWrapNewEkey: {
      absl::StatusOr<v1::WrapNewEkeyResponse> r = ekeys_.WrapNewEkey(request.wrap_new_ekey());
      if (!r.ok()) {
        SetCallStatus(r.status(), &result);
        break;
      }
      *result.mutable_wrap_new_ekey() = std::move(*r);
      break;
    }
    case v1::CallRequest::kSealEkeys: {
      absl::StatusOr<v1::GetEkeysResponse> r = ekeys_.SealEkeys(request.seal_ekeys(), call);
      if (!r.ok()) {
        SetCallStatus(r.status(), &result);
        break;
      }
      *result.mutable_seal_ekeys() = std::move(*r);
      break;
    }
    case v1::CallRequest::kSearchUsers: {
      absl::Status st = SearchUsers(request.search_users(), call, emit);
      if (!st.ok()) SetCallStatus(st, &result);
      ReleaseFreeMemory();
      break;
    }
    case v1::CallRequest::REQUEST_NOT_SET:
      SetCallStatus(absl::InvalidArgumentError("call carries no request"), &result);
      break;
    default:
      SetCallStatus(absl::UnimplementedError(
                        absl::StrCat("this connector does not handle request kind ",
                                     static_cast<int>(request.request_case()))),
                    &result);
      break;
  }
  FitAnswer(call, &result);
  Record(request.request_case(), result);
  return result;
}

void Dispatcher::Record(v1::CallRequest::RequestCase kind, const v1::CallResult& result) {
  Metrics::Get().Add("dirbridge_connector_calls_total",
                     {{"kind", CallKindName(kind)},
                      {"code", absl::StatusCodeToString(CallResultStatus(result).code())}});
  if (result.code() != 0) {
    spdlog::info("event=call_failed call_id={} kind={} code={} error=\"{}\"",
                 result.call_id(), static_cast<int>(kind), result.code(), result.message());
  }
}

}  // namespace dirbridge::connector
