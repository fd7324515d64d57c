#include "ops/metrics.h"

#include <cmath>
#include <set>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fabnet::ops {

namespace {

bool is_letter_or_underscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Prometheus' data model: [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_metric_name(std::string_view name) {
  if (name.empty() || is_digit(name.front())) return false;
  for (char c : name) {
    if (!is_letter_or_underscore(c) && !is_digit(c) && c != ':') return false;
  }
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, with names starting "__" reserved for Prometheus.
bool is_label_name(std::string_view name) {
  if (name.empty() || is_digit(name.front()) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!is_letter_or_underscore(c) && !is_digit(c)) return false;
  }
  return true;
}

// The text format escapes '\' and newline in HELP, and also '"' in label values.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// Go's strconv formatting as Prometheus parses it: shortest round trip, and
// NaN, +Inf, -Inf spelled out.
std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

}  // namespace

void Counter::inc(double amount) {
  if (!(amount >= 0)) {
    throw std::invalid_argument(
        fmt::format("counter increment {}: a counter only goes up; expected an amount >= 0",
                    format_value(amount)));
  }
  value_.fetch_add(amount, std::memory_order_relaxed);
}

MetricFamily::MetricFamily(std::string name, std::string help, std::string type,
                           std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(std::move(type)),
      label_names_(std::move(label_names)) {}

void MetricFamily::check_arity(const LabelValues& values) const {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(
        fmt::format("metric {}: {} label values [{}]; expected one per label [{}]", name_,
                    values.size(), fmt::join(values, ", "), fmt::join(label_names_, ", ")));
  }
}

void MetricFamily::render_header(std::string& out) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name_, escape(help_, false), name_, type_);
}

void MetricFamily::render_sample(std::string& out, const LabelValues& values, double value) const {
  out += name_;
  if (!values.empty()) {
    out += '{';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      out += fmt::format("{}=\"{}\"", label_names_[i], escape(values[i], true));
    }
    out += '}';
  }
  out += ' ';
  out += format_value(value);
  out += '\n';
}

template <class F>
F& MetricsRegistry::declare(std::string_view name, std::string_view help, std::string_view type,
                            std::vector<std::string> label_names) {
  if (!is_metric_name(name)) {
    throw std::invalid_argument(
        fmt::format("metric name \"{}\": not valid; expected [a-zA-Z_:][a-zA-Z0-9_:]*", name));
  }
  std::set<std::string_view> seen;
  for (const std::string& label : label_names) {
    if (!is_label_name(label)) {
      throw std::invalid_argument(fmt::format(
          "metric {}: label name \"{}\": not valid; expected [a-zA-Z_][a-zA-Z0-9_]* not starting "
          "with __",
          name, label));
    }
    if (!seen.insert(label).second) {
      throw std::invalid_argument(fmt::format(
          "metric {}: label name \"{}\" is repeated; expected distinct labels", name, label));
    }
  }
  std::lock_guard lock(mutex_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<F*>(it->second.get());
    if (existing == nullptr || existing->help() != help || existing->label_names() != label_names) {
      throw std::invalid_argument(fmt::format(
          "metric {}: declared again as {} with labels [{}]; expected the earlier declaration, a "
          "{} with labels [{}] and the same help",
          name, type, fmt::join(label_names, ", "), it->second->type(),
          fmt::join(it->second->label_names(), ", ")));
    }
    return *existing;
  }
  auto family = std::make_unique<F>(std::string(name), std::string(help), std::string(type),
                                    std::move(label_names));
  F& ref = *family;
  families_.emplace(std::string(name), std::move(family));
  return ref;
}

GaugeFamily& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                                    std::vector<std::string> label_names) {
  return declare<GaugeFamily>(name, help, "gauge", std::move(label_names));
}

CounterFamily& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names) {
  return declare<CounterFamily>(name, help, "counter", std::move(label_names));
}

std::string MetricsRegistry::render_prometheus() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) family->render(out);
  return out;
}

}  // namespace fabnet::ops
