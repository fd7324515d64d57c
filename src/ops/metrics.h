#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace fabnet::ops {

// Label values of one time series, in the order of its family's label names.
using LabelValues = std::vector<std::string>;

// A value that goes up and down, e.g. known peers. Updates are atomic, so any
// thread may set it while the operations endpoint reads it.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that only goes up, e.g. messages sent.
class Counter {
 public:
  // Throws std::invalid_argument for a negative or NaN amount (Prometheus forbids it).
  void inc(double amount = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// What the registry renders; one per metric name.
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::string type,
               std::vector<std::string> label_names);
  virtual ~MetricFamily() = default;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::string& type() const { return type_; }  // "gauge" or "counter"
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends "# HELP", "# TYPE" and one sample line per series, sorted by labels.
  // A family with labels but no series yet renders nothing, as Prometheus' Go
  // client does.
  virtual void render(std::string& out) const = 0;

 protected:
  // Throws std::invalid_argument unless there is one value per label name.
  void check_arity(const LabelValues& values) const;
  void render_sample(std::string& out, const LabelValues& values, double value) const;
  void render_header(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  std::string type_;
  std::vector<std::string> label_names_;
};

// All series of one metric name, created on first use. Thread-safe.
template <class Series>
class Family final : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;

  // The series with these label values. The reference stays valid until
  // remove() of the same values or the registry's end, so hot paths keep it.
  Series& with(const LabelValues& values = {}) {
    check_arity(values);
    std::lock_guard lock(mutex_);
    auto& slot = series_[values];
    if (!slot) slot = std::make_unique<Series>();
    return *slot;
  }

  // Drops a series (e.g. a channel left), invalidating references to it.
  void remove(const LabelValues& values) {
    std::lock_guard lock(mutex_);
    series_.erase(values);
  }

  void render(std::string& out) const override {
    std::lock_guard lock(mutex_);
    if (series_.empty() && !label_names().empty()) return;
    render_header(out);
    if (series_.empty()) return render_sample(out, {}, 0);
    for (const auto& [values, series] : series_) render_sample(out, values, series->value());
  }

 private:
  mutable std::mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Series>> series_;
};

using GaugeFamily = Family<Gauge>;
using CounterFamily = Family<Counter>;

// The process's metrics, rendered for /metrics. Thread-safe.
class MetricsRegistry {
 public:
  // Declares a metric, or returns the one already declared with the same name,
  // help and label names. Throws std::invalid_argument for a name or label that
  // Prometheus does not accept, or a redeclaration that differs.
  GaugeFamily& gauge(std::string_view name, std::string_view help,
                     std::vector<std::string> label_names = {});
  CounterFamily& counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {});

  // Prometheus text exposition format 0.0.4, families sorted by name.
  std::string render_prometheus() const;

 private:
  template <class F>
  F& declare(std::string_view name, std::string_view help, std::string_view type,
             std::vector<std::string> label_names);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<MetricFamily>, std::less<>> families_;
};

// The content type of render_prometheus()'s text.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace fabnet::ops
