#include "common/metrics.h"

#include <httplib.h>

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dirbridge {
namespace {

constexpr double kBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                               0.25,  0.5,    1,     2.5,  5,     10,   30};

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Key(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    absl::StrAppend(&out, out.empty() ? "" : ",", k, "=\"", Escape(v), "\"");
  }
  return out;
}

std::string Braces(const std::string& key, const std::string& extra = "") {
  std::string inner = key;
  if (!extra.empty()) inner = inner.empty() ? extra : absl::StrCat(inner, ",", extra);
  return inner.empty() ? "" : absl::StrCat("{", inner, "}");
}

}  // namespace

Metrics& Metrics::Get() {
  static Metrics* m = new Metrics();
  return *m;
}

void Metrics::Describe(const std::string& name, const std::string& type,
                       const std::string& help) {
  absl::MutexLock lock(&mu_);
  meta_[name] = {type, help};
}

// Keys are built before the lock is taken: every call of every thread
// goes through this one mutex.
void Metrics::Add(const std::string& name, const Labels& labels, double delta) {
  std::string key = Key(labels);
  absl::MutexLock lock(&mu_);
  values_[name][key] += delta;
}

void Metrics::Set(const std::string& name, const Labels& labels, double value) {
  absl::MutexLock lock(&mu_);
  values_[name][Key(labels)] = value;
}

void Metrics::ClearGauge(const std::string& name) {
  absl::MutexLock lock(&mu_);
  values_[name].clear();
}

void Metrics::Observe(const std::string& name, const Labels& labels, double seconds) {
  std::string key = Key(labels);
  absl::MutexLock lock(&mu_);
  Histogram& h = histograms_[name][key];
  if (h.counts.empty()) h.counts.assign(std::size(kBuckets), 0);
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) h.counts[i] += 1;
  }
  h.sum += seconds;
  h.count += 1;
}

void Metrics::AddCollector(std::function<void(Metrics&)> collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() {
  std::vector<std::function<void(Metrics&)>> collectors;
  {
    absl::MutexLock lock(&mu_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c(*this);
  absl::MutexLock lock(&mu_);
  std::string out;
  auto header = [&](const std::string& name, const char* dflt) {
    auto it = meta_.find(name);
    std::string type = it == meta_.end() ? dflt : it->second.first;
    if (it != meta_.end()) absl::StrAppend(&out, "# HELP ", name, " ", it->second.second, "\n");
    absl::StrAppend(&out, "# TYPE ", name, " ", type, "\n");
  };
  for (const auto& [name, series] : values_) {
    header(name, "untyped");
    for (const auto& [key, v] : series) {
      absl::StrAppend(&out, name, Braces(key), " ", absl::StrFormat("%.17g", v), "\n");
    }
  }
  for (const auto& [name, series] : histograms_) {
    header(name, "histogram");
    for (const auto& [key, h] : series) {
      for (size_t i = 0; i < std::size(kBuckets); ++i) {
        absl::StrAppend(&out, name, "_bucket",
                        Braces(key, absl::StrFormat("le=\"%g\"", kBuckets[i])), " ", h.counts[i],
                        "\n");
      }
      absl::StrAppend(&out, name, "_bucket", Braces(key, "le=\"+Inf\""), " ", h.count, "\n");
      absl::StrAppend(&out, name, "_sum", Braces(key), " ", absl::StrFormat("%.9g", h.sum), "\n");
      absl::StrAppend(&out, name, "_count", Braces(key), " ", h.count, "\n");
    }
  }
  return out;
}

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
};

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", address, "\" is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  std::unique_ptr<MetricsServer> s(new MetricsServer());
  s->impl_ = std::make_unique<Impl>();
  s->impl_->server.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(Metrics::Get().Render(), "text/plain; version=0.0.4");
  });
  if (port == 0) {
    s->port_ = s->impl_->server.bind_to_any_port(host);
  } else {
    s->port_ = s->impl_->server.bind_to_port(host, port) ? port : -1;
  }
  if (s->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ", address));
  }
  Impl* impl = s->impl_.get();
  impl->thread = std::thread([impl] { impl->server.listen_after_bind(); });
  return s;
}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace dirbridge
