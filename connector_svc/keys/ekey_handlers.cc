#include "connector_svc/keys/ekey_handlers.h"

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/sealed_ekey.h"
#include "common/secrets.h"

namespace dirbridge::connector {

absl::Status EkeyHandlers::CheckServes(const std::string& tenant_id) const {
  if (keys_ == nullptr) return absl::FailedPreconditionError("this connector holds no KEK");
  // The cloud names the tenant; the connector serves only its own.
  if (tenant_id != tenant_id_) return absl::PermissionDeniedError("ekey request for another tenant");
  return absl::OkStatus();
}

absl::StatusOr<v1::WrapNewEkeyResponse> EkeyHandlers::WrapNewEkey(
    const v1::WrapNewEkeyRequest& request) {
  if (absl::Status st = CheckServes(request.tenant_id()); !st.ok()) return st;
  if (request.user_id().empty() || request.key_id().empty()) {
    return absl::InvalidArgumentError("user_id and key_id are required");
  }
  absl::StatusOr<std::string> ekey = RandomBytes(32);
  if (!ekey.ok()) return ekey.status();
  absl::StatusOr<std::string> wrapped =
      keys_->Wrap({tenant_id_, request.user_id(), request.key_id()}, *ekey);
  crypto::Wipe(*ekey);
  if (!wrapped.ok()) return wrapped.status();
  absl::StatusOr<uint32_t> version = WrappedKekVersion(*wrapped);
  if (!version.ok()) return version.status();
  v1::WrapNewEkeyResponse out;
  out.set_kek_version(*version);
  out.set_wrapped_ekey(std::move(*wrapped));
  return out;
}

absl::StatusOr<v1::GetEkeysResponse> EkeyHandlers::SealEkeys(const v1::SealEkeysRequest& request,
                                                             const Call& call) {
  if (absl::Status st = CheckServes(request.tenant_id()); !st.ok()) return st;
  // One ephemeral key for the whole response: one X25519 per batch.
  absl::StatusOr<crypto::BoxSealer> sealer =
      crypto::BoxSealer::New(request.recipient_public_key(), kSealedEkeyInfo);
  if (!sealer.ok()) return sealer.status();
  v1::GetEkeysResponse out;
  for (const v1::WrappedEkey& w : request.ekeys()) {
    if (call.cancelled()) return absl::CancelledError("cancelled");
    absl::StatusOr<std::string> ekey =
        keys_->Unwrap({tenant_id_, w.user_id(), w.key_id()}, w.wrapped_ekey());
    if (!ekey.ok()) {
      // The whole batch fails: never a partial batch passed off as whole.
      return absl::Status(ekey.status().code(),
                          absl::StrCat("ekey of user \"", w.user_id(), "\": ",
                                       ekey.status().message()));
    }
    absl::StatusOr<std::string> sealed = sealer->Seal(*ekey, SealedEkeyAad(w.user_id(), w.key_id()));
    crypto::Wipe(*ekey);
    if (!sealed.ok()) return sealed.status();
    v1::SealedEkey* s = out.add_ekeys();
    s->set_user_id(w.user_id());
    s->set_key_id(w.key_id());
    s->set_sealed_ekey(std::move(*sealed));
  }
  return out;
}

}  // namespace dirbridge::connector
