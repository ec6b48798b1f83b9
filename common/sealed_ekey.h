#ifndef DIRBRIDGE_COMMON_SEALED_EKEY_H_
#define DIRBRIDGE_COMMON_SEALED_EKEY_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace dirbridge {

// Keys.GetEkeys's sealed_ekey: a crypto::Seal box (README, "Sealed boxes")
// to the backup worker's one-time key, with this info and AAD. The boxes of
// one response share one ephemeral key; each has its own nonce.
inline constexpr char kSealedEkeyInfo[] = "dirbridge sealed ekey v1";

inline std::string SealedEkeyAad(absl::string_view user_id, absl::string_view key_id) {
  return absl::StrCat(absl::string_view("dirbridge-ekey-seal-v1\0", 23), user_id,
                      absl::string_view("\0", 1), key_id);
}

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_SEALED_EKEY_H_
