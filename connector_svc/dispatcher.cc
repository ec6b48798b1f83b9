#include "connector_svc/dispatcher.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace dirbridge::connector {
namespace {

void SetStatus(v1::CallResult& result, const absl::Status& status) {
  result.clear_response();
  result.set_code(static_cast<int>(status.code()));
  result.set_message(std::string(status.message()));
}

}  // namespace

void Dispatcher::set_connector_id(std::string id) {
  absl::MutexLock lock(&mu_);
  connector_id_ = std::move(id);
}

void Dispatcher::Dispatch(v1::CallRequest request, std::shared_ptr<Call> call,
                          Reply reply) {
  pool_.Schedule([this, request = std::move(request), call = std::move(call),
                  reply = std::move(reply)]() {
    if (call->cancelled()) return;
    v1::CallResult result = Handle(request, *call);
    if (call->cancelled()) return;  // the cloud stopped waiting
    reply(std::move(result));
  });
}

v1::CallResult Dispatcher::Handle(const v1::CallRequest& request, Call& call) {
  v1::CallResult result;
  result.set_call_id(request.call_id());
  OpContext ctx = call.op_context();
  if (absl::Now() >= ctx.deadline) {
    SetStatus(result, absl::DeadlineExceededError("deadline passed before the call ran"));
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
        SetStatus(result, nc.status());
        break;
      }
      auto* out = result.mutable_list_naming_contexts();
      for (const std::string& n : nc->naming_contexts) out->add_naming_contexts(n);
      out->set_default_naming_context(nc->default_naming_context);
      break;
    }
    case v1::CallRequest::REQUEST_NOT_SET:
      SetStatus(result, absl::InvalidArgumentError("call carries no request"));
      break;
    default:
      SetStatus(result, absl::UnimplementedError(absl::StrCat(
                            "this connector does not handle request kind ",
                            static_cast<int>(request.request_case()))));
      break;
  }
  if (result.code() != 0) {
    spdlog::info("event=call_failed call_id={} kind={} code={} error=\"{}\"",
                 request.call_id(), static_cast<int>(request.request_case()),
                 result.code(), result.message());
  }
  return result;
}

}  // namespace dirbridge::connector
