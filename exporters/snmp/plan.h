// What to fetch for a request naming one or more modules: pure data in,
// pure data out. The flow (the client drives it):
//
//   1. FilterWalks(modules): the subtrees the dynamic filters need, walked
//      first (upstream: collector.go ScrapeTarget).
//   2. ApplyDynamicFilters(module, results): per module, its walks and gets
//      once the filters have been evaluated.
//   3. MergeFetches(per-module): one de-duplicated list of subtrees to walk
//      and OIDs to GET, and each module's Scope for the renderer.
//
// Static filters never reach snmp.yml: the generator already turned them
// into `get:` entries. Upstream walks each module separately and never
// de-duplicates; here a subtree inside another one is walked once and a GET
// inside a walked subtree is not sent, while each module still sees only
// what it asked for (its Scope), so the output is the same. Only modules
// that share one session (same target, auth and version) may be merged.
#ifndef EXPORTERD_SNMP_PLAN_H_
#define EXPORTERD_SNMP_PLAN_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pdu.h"
#include "render.h"
#include "snmp_config.h"

namespace exporterd::snmp {

struct FilterWalk {
  Oid oid;
  // (module position in the request, filter position in that module)
  std::vector<std::pair<size_t, size_t>> users;
};

// The distinct filter subtrees to walk, in first-use order.
std::vector<FilterWalk> FilterWalks(const std::vector<const Module*>& modules);

struct ModuleFetch {
  std::vector<std::string> walk;  // OIDs as text, in upstream's order
  std::vector<std::string> get;
};

// Upstream's filter evaluation for one module. results[i] holds what
// walking module.filters[i].oid returned, or nullopt if that walk failed
// (upstream then ignores the filter). A varbind passes a filter when any of
// its `values` regexes matches (unanchored) its DisplayString rendering; its
// index is the OID's last sub-id. Each target is removed from `walk` (exact
// text match) and every `get` starting with the target's text (a string
// prefix, as upstream) is replaced by target.index for the passing indexes;
// several filters on one target keep the indexes all of them pass.
ModuleFetch ApplyDynamicFilters(
    const Module& module,
    const std::vector<std::optional<std::vector<Varbind>>>& results);

// A module without filters.
ModuleFetch UnfilteredFetch(const Module& module);

struct Fetch {
  Oid oid;
  std::vector<size_t> modules;  // positions of the modules needing it
};

struct Plan {
  std::vector<Fetch> walks;   // sorted by OID; none inside another
  std::vector<Fetch> gets;    // sorted, unique, none inside a walk
  std::vector<Scope> scopes;  // one per module, for Render
};

// Merges the modules' fetches (all on one session). OIDs that do not parse
// are skipped (the config loader refuses them).
Plan MergeFetches(const std::vector<ModuleFetch>& modules);

}  // namespace exporterd::snmp

#endif  // EXPORTERD_SNMP_PLAN_H_
