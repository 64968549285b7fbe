#include "observe/log_format.h"

#include <cstdio>
#include <ctime>

#include "observe/json.h"

namespace esta::observe {

namespace {

constexpr u64 kLargestExactJsonInteger = u64{1} << 53;

void append_json_field_value(std::string& out, const FieldValue& value) {
    if (auto text = std::get_if<std::string_view>(&value)) {
        append_json_string(out, *text);
    } else if (auto number = std::get_if<i64>(&value)) {
        const bool exact = *number >= -static_cast<i64>(kLargestExactJsonInteger) &&
                           *number <= static_cast<i64>(kLargestExactJsonInteger);
        if (!exact) out.push_back('"');
        out += std::to_string(*number);
        if (!exact) out.push_back('"');
    } else if (auto unsigned_number = std::get_if<u64>(&value)) {
        const bool exact = *unsigned_number <= kLargestExactJsonInteger;
        if (!exact) out.push_back('"');
        out += std::to_string(*unsigned_number);
        if (!exact) out.push_back('"');
    } else if (auto real = std::get_if<f64>(&value)) {
        append_json_double(out, *real);
    } else {
        out += std::get<bool>(value) ? "true" : "false";
    }
}

void append_console_field_value(std::string& out, const FieldValue& value) {
    if (auto text = std::get_if<std::string_view>(&value)) {
        // Quote only when needed, so plain values stay easy to read.
        const bool plain = !text->empty() && text->find_first_of(" \"=\n\t") == std::string::npos;
        if (plain) {
            out.append(*text);
        } else {
            append_json_string(out, *text);
        }
    } else {
        append_json_field_value(out, value);
    }
}

constexpr std::string_view kConsoleSeverity[] = {"TRACE", "DEBUG", "INFO ", "WARN ",
                                                 "ERROR", "CRIT ", "FATAL"};

}  // namespace

std::string format_timestamp(i64 timestamp_ns) {
    i64 seconds = timestamp_ns / 1'000'000'000;
    i64 nanos = timestamp_ns % 1'000'000'000;
    if (nanos < 0) {
        nanos += 1'000'000'000;
        --seconds;
    }
    const std::time_t time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&time, &parts);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<long long>(nanos));
    return buffer;
}

void append_json_line(std::string& out, const LogRecord& record) {
    out += "{\"ts_ns\":";
    out += std::to_string(record.timestamp_ns);
    out += ",\"time\":\"";
    out += format_timestamp(record.timestamp_ns);
    out += "\",\"severity\":\"";
    out += severity_name(record.severity);
    out += "\",\"category\":";
    append_json_string(out, category_name(record.category));
    if (record.pid) {
        out += ",\"pid\":";
        out += std::to_string(*record.pid);
    }
    out += ",\"message\":";
    append_json_string(out, record.message);
    if (!record.fields.empty()) {
        out += ",\"fields\":{";
        bool first = true;
        for (const Field& field : record.fields) {
            if (!first) out.push_back(',');
            first = false;
            append_json_string(out, field.key);
            out.push_back(':');
            append_json_field_value(out, field.value);
        }
        out.push_back('}');
    }
    out += "}\n";
}

void append_console_line(std::string& out, const LogRecord& record) {
    out += format_timestamp(record.timestamp_ns);
    out.push_back(' ');
    out += kConsoleSeverity[static_cast<u8>(record.severity)];
    out.push_back(' ');
    out += category_name(record.category);
    if (record.pid) {
        out += " pid=";
        out += std::to_string(*record.pid);
    }
    out.push_back(' ');
    out.append(record.message);
    for (const Field& field : record.fields) {
        out.push_back(' ');
        out.append(field.key);
        out.push_back('=');
        append_console_field_value(out, field.value);
    }
    out.push_back('\n');
}

void append_record(std::string& out, const LogRecord& record, LogFormat format) {
    if (format == LogFormat::JsonLines) {
        append_json_line(out, record);
    } else {
        append_console_line(out, record);
    }
}

}  // namespace esta::observe
