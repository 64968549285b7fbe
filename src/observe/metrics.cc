#include "observe/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

namespace esta::observe {

namespace {

bool is_name_char(char c, bool first) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    return letter || (!first && c >= '0' && c <= '9');
}

bool valid_label_name(std::string_view name) {
    if (name.empty() || name.starts_with("__")) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (!is_name_char(name[i], i == 0)) return false;
    }
    return name != "le";  // Reserved for histogram buckets.
}

bool valid_spec(const MetricSpec& spec) {
    if (spec.name.empty() || spec.label_count > kMaxMetricLabels) return false;
    for (std::size_t i = 0; i < spec.name.size(); ++i) {
        const char c = spec.name[i];
        if (!is_name_char(c, i == 0) && c != '.' && c != '-') return false;
    }
    for (std::string_view label : spec.label_names()) {
        if (!valid_label_name(label)) return false;
    }
    if (spec.type == MetricType::Histogram) {
        if (spec.buckets.empty()) return false;
        for (std::size_t i = 0; i < spec.buckets.size(); ++i) {
            if (!std::isfinite(spec.buckets[i])) return false;
            if (i > 0 && !(spec.buckets[i - 1] < spec.buckets[i])) return false;
        }
    }
    return true;
}

std::string format_number(f64 value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[40];
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        std::snprintf(buffer, sizeof buffer, "%.0f", value);
        return buffer;
    }
    // The shortest form that reads back as the same double: "0.0001", not
    // "0.00010000000000000000479".
    for (int precision = 15; precision <= 17; ++precision) {
        std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
        if (std::strtod(buffer, nullptr) == value) break;
    }
    return buffer;
}

void append_escaped(std::string& out, std::string_view text, bool quote) {
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && quote) {
            out += "\\\"";
        } else {
            out.push_back(c);
        }
    }
}

std::string_view type_name(MetricType type) {
    switch (type) {
        case MetricType::Counter:
            return "counter";
        case MetricType::Gauge:
            return "gauge";
        case MetricType::Histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

std::string exposition_name(const MetricSpec& spec) {
    std::string name = "esta_";
    for (char c : spec.name)
        name.push_back(c == '.' || c == '-' ? '_' : c);
    if (spec.type == MetricType::Counter && !name.ends_with("_total")) name += "_total";
    return name;
}

Histogram::Histogram(std::span<const f64> bounds)
    : m_bounds(bounds), m_counts(std::make_unique<std::atomic<u64>[]>(bounds.size() + 1)) {}

void Histogram::observe(f64 value) {
    // Bucket counts are stored per bucket and summed when read, so observe is one add.
    const auto bucket =
        std::lower_bound(m_bounds.begin(), m_bounds.end(), value) - m_bounds.begin();
    m_counts[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
    m_sum.fetch_add(value, std::memory_order_relaxed);
}

u64 Histogram::cumulative_count(std::size_t i) const {
    u64 total = 0;
    for (std::size_t j = 0; j <= i && j <= m_bounds.size(); ++j) {
        total += m_counts[j].load(std::memory_order_relaxed);
    }
    return total;
}

struct MetricsRegistry::Series {
    std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>, std::unique_ptr<Histogram>>
        metric;
};

struct MetricsRegistry::Family {
    MetricSpec spec;
    std::vector<std::string> label_names;
    std::map<std::vector<std::string>, Series> series;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

Result<MetricsRegistry::Series*> MetricsRegistry::series_locked(
    const MetricSpec& spec, std::span<const std::string_view> values) {
    if (!valid_spec(spec)) return Err(Status::Invalid, "metrics.spec");
    if (values.size() != spec.label_count) {
        return Err(Status::Invalid, "metrics.label_values",
                   {.limit = spec.label_count, .actual = values.size()});
    }
    const std::string name = exposition_name(spec);
    auto found = m_families.find(name);
    if (found == m_families.end()) {
        auto family = std::make_unique<Family>();
        family->spec = spec;
        for (std::string_view label : spec.label_names())
            family->label_names.emplace_back(label);
        found = m_families.emplace(name, std::move(family)).first;
    }
    Family& family = *found->second;
    const bool same_shape = family.spec.type == spec.type &&
                            std::equal(family.label_names.begin(), family.label_names.end(),
                                       spec.label_names().begin(), spec.label_names().end()) &&
                            std::equal(family.spec.buckets.begin(), family.spec.buckets.end(),
                                       spec.buckets.begin(), spec.buckets.end());
    if (!same_shape) return Err(Status::Invalid, "metrics.conflicting_registration");

    std::vector<std::string> key(values.begin(), values.end());
    auto series = family.series.find(key);
    if (series != family.series.end()) return &series->second;
    if (family.series.size() >= kMaxSeriesPerFamily) {
        return Err(Status::Limit, "metrics.series", {.limit = kMaxSeriesPerFamily});
    }
    Series created;
    switch (spec.type) {
        case MetricType::Counter:
            created.metric = std::make_unique<Counter>();
            break;
        case MetricType::Gauge:
            created.metric = std::make_unique<Gauge>();
            break;
        case MetricType::Histogram:
            created.metric = std::make_unique<Histogram>(family.spec.buckets);
            break;
    }
    return &family.series.emplace(std::move(key), std::move(created)).first->second;
}

Result<Counter*> MetricsRegistry::try_counter(const MetricSpec& spec,
                                              std::span<const std::string_view> values) {
    if (spec.type != MetricType::Counter) return Err(Status::Invalid, "metrics.type");
    std::lock_guard lock(m_mutex);
    Series* series = ESTA_TRY(series_locked(spec, values));
    return std::get<std::unique_ptr<Counter>>(series->metric).get();
}

Result<Gauge*> MetricsRegistry::try_gauge(const MetricSpec& spec,
                                          std::span<const std::string_view> values) {
    if (spec.type != MetricType::Gauge) return Err(Status::Invalid, "metrics.type");
    std::lock_guard lock(m_mutex);
    Series* series = ESTA_TRY(series_locked(spec, values));
    return std::get<std::unique_ptr<Gauge>>(series->metric).get();
}

Result<Histogram*> MetricsRegistry::try_histogram(const MetricSpec& spec,
                                                  std::span<const std::string_view> values) {
    if (spec.type != MetricType::Histogram) return Err(Status::Invalid, "metrics.type");
    std::lock_guard lock(m_mutex);
    Series* series = ESTA_TRY(series_locked(spec, values));
    return std::get<std::unique_ptr<Histogram>>(series->metric).get();
}

Counter& MetricsRegistry::counter(const MetricSpec& spec,
                                  std::initializer_list<std::string_view> values) {
    auto found =
        try_counter(spec, std::span<const std::string_view>(values.begin(), values.size()));
    ESTA_ASSERT(found.has_value());
    return **found;
}

Gauge& MetricsRegistry::gauge(const MetricSpec& spec,
                              std::initializer_list<std::string_view> values) {
    auto found = try_gauge(spec, std::span<const std::string_view>(values.begin(), values.size()));
    ESTA_ASSERT(found.has_value());
    return **found;
}

Histogram& MetricsRegistry::histogram(const MetricSpec& spec,
                                      std::initializer_list<std::string_view> values) {
    auto found =
        try_histogram(spec, std::span<const std::string_view>(values.begin(), values.size()));
    ESTA_ASSERT(found.has_value());
    return **found;
}

namespace {

// `{a="x",b="y"` without the closing brace, so histograms can add `le`.
std::string label_text(const std::vector<std::string>& names,
                       const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        out += i == 0 ? "{" : ",";
        out += names[i];
        out += "=\"";
        append_escaped(out, values[i], true);
        out += "\"";
    }
    return out;
}

std::string closed(const std::string& labels) {
    return labels.empty() ? "" : labels + "}";
}

}  // namespace

std::string MetricsRegistry::render_prometheus() const {
    std::lock_guard lock(m_mutex);
    std::string out;
    for (const auto& [name, family] : m_families) {
        out += "# HELP " + name + " ";
        append_escaped(out, family->spec.help, false);
        out += "\n# TYPE " + name + " ";
        out += type_name(family->spec.type);
        out += "\n";
        for (const auto& [values, series] : family->series) {
            const std::string labels = label_text(family->label_names, values);
            if (auto counter = std::get_if<std::unique_ptr<Counter>>(&series.metric)) {
                out += name + closed(labels) + " " + std::to_string((*counter)->value()) + "\n";
            } else if (auto gauge = std::get_if<std::unique_ptr<Gauge>>(&series.metric)) {
                out += name + closed(labels) + " " + format_number((*gauge)->value()) + "\n";
            } else {
                const Histogram& histogram = *std::get<std::unique_ptr<Histogram>>(series.metric);
                const std::string prefix = labels.empty() ? "{" : labels + ",";
                for (std::size_t i = 0; i <= histogram.bounds().size(); ++i) {
                    const std::string bound = i < histogram.bounds().size()
                                                  ? format_number(histogram.bounds()[i])
                                                  : "+Inf";
                    out += name + "_bucket" + prefix + "le=\"" + bound + "\"} " +
                           std::to_string(histogram.cumulative_count(i)) + "\n";
                }
                out += name + "_sum" + closed(labels) + " " + format_number(histogram.sum()) + "\n";
                out += name + "_count" + closed(labels) + " " + std::to_string(histogram.count()) +
                       "\n";
            }
        }
    }
    return out;
}

}  // namespace esta::observe
