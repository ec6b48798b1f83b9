// Sealed-box opening (common/crypto Open, the path of sealed passwords and
// ekeys): a box changed in any byte, cut or lengthened never opens, and no
// input crashes. Boxes are sealed at start to a fixed key; the input says
// which one and how to tamper with it, and is also opened as it is.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>
#include <vector>

#include "common/crypto.h"
#include "common/sealed_password.h"
#include "tests/fuzz/fuzz_support.h"

namespace dirbridge::crypto {
namespace {

struct Boxes {
  Boxes() {
    key.private_key = std::string(32, '\x07');
    key.public_key = *X25519PublicFromPrivate(key.private_key);
    aad = SealedPasswordAad("tenant-1", "alice");
    for (const std::string& p : {std::string(), std::string("hunter2"), std::string(300, 'p')}) {
      plaintexts.push_back(p);
      boxes.push_back(*Seal(key.public_key, p, aad, kSealedPasswordInfo));
    }
  }
  X25519KeyPair key;
  std::string aad;
  std::vector<std::string> plaintexts;
  std::vector<std::string> boxes;
};

const Boxes& TheBoxes() {
  static const Boxes* b = new Boxes();
  return *b;
}

void Run(const uint8_t* data, size_t size) {
  const Boxes& b = TheBoxes();
  std::string raw(reinterpret_cast<const char*>(data), size);
  // As it is: no input opens under this key but the boxes sealed here.
  absl::StatusOr<std::string> opened = Open(b.key, raw, b.aad, kSealedPasswordInfo);
  if (opened.ok()) {
    bool known = false;
    for (const std::string& box : b.boxes) known = known || box == raw;
    FUZZ_CHECK(known);
  }
  (void)SealedRecipient(raw);

  FuzzedDataProvider in(data, size);
  size_t which = in.ConsumeIntegralInRange<size_t>(0, b.boxes.size() - 1);
  std::string box = b.boxes[which];
  std::string aad = b.aad;
  std::string info = kSealedPasswordInfo;
  while (in.remaining_bytes() > 0) {
    switch (in.ConsumeIntegralInRange<int>(0, 5)) {
      case 0: {  // flip bits of one byte
        if (box.empty()) break;
        size_t at = in.ConsumeIntegralInRange<size_t>(0, box.size() - 1);
        box[at] ^= static_cast<char>(in.ConsumeIntegralInRange<int>(1, 255));
        break;
      }
      case 1:  // cut
        box.resize(in.ConsumeIntegralInRange<size_t>(0, box.size()));
        break;
      case 2:  // lengthen
        box += in.ConsumeRandomLengthString(64);
        break;
      case 3:  // another AAD: a box replayed for another user or tenant
        aad = in.ConsumeRandomLengthString(64);
        break;
      case 4:
        info = in.ConsumeRandomLengthString(64);
        break;
      case 5: {  // splice in another box's bytes
        const std::string& other = b.boxes[in.ConsumeIntegralInRange<size_t>(0, b.boxes.size() - 1)];
        size_t at = in.ConsumeIntegralInRange<size_t>(0, std::min(box.size(), other.size()));
        box = box.substr(0, at) + other.substr(at);
        break;
      }
    }
  }
  absl::StatusOr<std::string> r = Open(b.key, box, aad, info);
  bool untouched = box == b.boxes[which] && aad == b.aad && info == kSealedPasswordInfo;
  if (untouched) {
    FUZZ_CHECK(r.ok() && *r == b.plaintexts[which]);
  } else {
    // Unchanged bytes of another box of ours open as that box, naturally.
    bool another = false;
    for (size_t i = 0; i < b.boxes.size(); ++i) {
      another = another || (box == b.boxes[i] && aad == b.aad && info == kSealedPasswordInfo);
    }
    if (!another) FUZZ_CHECK(!r.ok());
  }
}

}  // namespace
}  // namespace dirbridge::crypto

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dirbridge::crypto::Run(data, size);
  return 0;
}
