#include "observe/o5_catalogue.h"

#include <gtest/gtest.h>

namespace esta::observe {
namespace {

ESTA_COUNTER(kSent, "kernel.messages_sent", "Messages sent.");
ESTA_GAUGE(kWrongType, "kernel.messages_received_total", "Declared as a gauge by mistake.");

TEST(O5Catalogue, O5_NamesEveryItemOfTheRequirement) {
    std::vector<std::string_view> items;
    for (const O5Family& family : o5_families())
        items.push_back(family.item);
    for (std::string_view item :
         {"processes by state", "mailbox depth", "messages sent", "messages received",
          "messages dropped", "capability denials", "traps by code", "fuel used", "deadline misses",
          "latency histograms", "driver health", "circuit state", "journal lag",
          "replica divergence"})
        EXPECT_NE(std::find(items.begin(), items.end(), item), items.end()) << item;
}

TEST(O5Catalogue, O5_ReportsFamiliesMissingOrOfTheWrongType) {
    MetricsRegistry registry;
    registry.counter(kSent).inc();
    registry.gauge(kWrongType).set(1);
    const auto missing = missing_o5_families(registry.render_prometheus());
    EXPECT_EQ(missing.size(), o5_families().size() - 1);
    bool wrong_type_reported = false;
    for (const O5Family* family : missing) {
        EXPECT_NE(family->item, "messages sent");
        wrong_type_reported |= family->item == "messages received";
    }
    EXPECT_TRUE(wrong_type_reported);
    EXPECT_EQ(missing_o5_families("").size(), o5_families().size());
}

}  // namespace
}  // namespace esta::observe
