#include "plan.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>

namespace exporterd::snmp {

namespace {

bool OidLess(const Oid& a, const Oid& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

bool HasPrefix(const Oid& oid, const Oid& prefix) {
  return oid.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), oid.begin());
}

bool StartsWith(const std::string& s, const std::string& p) {
  return s.compare(0, p.size(), p) == 0;
}

}  // namespace

std::vector<FilterWalk> FilterWalks(const std::vector<const Module*>& modules) {
  std::vector<FilterWalk> out;
  std::map<Oid, size_t> seen;
  for (size_t m = 0; m < modules.size(); ++m) {
    for (size_t f = 0; f < modules[m]->filters.size(); ++f) {
      const Oid& oid = modules[m]->filters[f].oid;
      auto [it, inserted] = seen.try_emplace(oid, out.size());
      if (inserted) out.push_back(FilterWalk{oid, {}});
      out[it->second].users.emplace_back(m, f);
    }
  }
  return out;
}

ModuleFetch UnfilteredFetch(const Module& module) {
  return ModuleFetch{module.walk, module.get};
}

ModuleFetch ApplyDynamicFilters(
    const Module& module,
    const std::vector<std::optional<std::vector<Varbind>>>& results) {
  ModuleFetch out = UnfilteredFetch(module);
  RenderOptions text_options;
  text_options.compat = Compat::kV0_30;  // filters exist since 0.22
  std::vector<std::string> targets;      // in first-filtered order
  std::map<std::string, std::vector<std::string>> allowed;
  for (size_t i = 0; i < module.filters.size(); ++i) {
    const DynamicFilter& f = module.filters[i];
    if (i >= results.size() || !results[i]) continue;  // walk failed
    std::vector<std::string> pass;
    for (const Varbind& vb : *results[i]) {
      if (vb.type == PduType::kNoSuchObject ||
          vb.type == PduType::kNoSuchInstance ||
          vb.type == PduType::kEndOfMibView)
        continue;
      const std::string text =
          ValueToString(vb, MetricType::kDisplayString, "", text_options);
      bool found = false;
      for (const auto& re : f.value_regexes) {
        if (re && RE2::PartialMatch(text, *re)) {
          found = true;
          break;
        }
      }
      if (found && !vb.oid.empty())
        pass.push_back(std::to_string(vb.oid.back()));
    }
    // The targets are no longer walked.
    out.walk.erase(std::remove_if(out.walk.begin(), out.walk.end(),
                                  [&](const std::string& w) {
                                    return std::find(f.targets.begin(),
                                                     f.targets.end(),
                                                     w) != f.targets.end();
                                  }),
                   out.walk.end());
    for (const auto& t : f.targets) {
      auto it = allowed.find(t);
      if (it == allowed.end()) {
        targets.push_back(t);
        allowed.emplace(t, pass);
      } else {
        std::vector<std::string> both;
        for (const auto& idx : it->second)
          if (std::find(pass.begin(), pass.end(), idx) != pass.end())
            both.push_back(idx);
        it->second = std::move(both);
      }
    }
  }
  for (const auto& t : targets) {
    out.get.erase(
        std::remove_if(out.get.begin(), out.get.end(),
                       [&](const std::string& g) { return StartsWith(g, t); }),
        out.get.end());
    for (const auto& idx : allowed[t]) out.get.push_back(t + "." + idx);
  }
  return out;
}

Plan MergeFetches(const std::vector<ModuleFetch>& modules) {
  Plan plan;
  std::map<Oid, std::vector<size_t>, decltype(&OidLess)> walks(&OidLess);
  std::map<Oid, std::vector<size_t>, decltype(&OidLess)> gets(&OidLess);
  auto add = [](auto& map, const Oid& oid, size_t m) {
    auto& v = map[oid];
    if (v.empty() || v.back() != m) v.push_back(m);
  };
  for (size_t m = 0; m < modules.size(); ++m) {
    std::vector<Oid> sub, exact;
    for (const auto& w : modules[m].walk) {
      if (auto oid = ParseOid(w)) {
        add(walks, *oid, m);
        sub.push_back(*oid);
      }
    }
    for (const auto& g : modules[m].get) {
      if (auto oid = ParseOid(g)) {
        add(gets, *oid, m);
        exact.push_back(*oid);
      }
    }
    plan.scopes.push_back(Scope::Make(std::move(sub), std::move(exact)));
  }
  // Walks: a subtree inside the previous kept one merges into it (sorted
  // order puts a prefix right before everything under it).
  for (auto& [oid, mods] : walks) {
    if (!plan.walks.empty() && HasPrefix(oid, plan.walks.back().oid)) {
      auto& into = plan.walks.back().modules;
      for (size_t m : mods)
        if (std::find(into.begin(), into.end(), m) == into.end())
          into.push_back(m);
      continue;
    }
    plan.walks.push_back(Fetch{oid, mods});
  }
  for (auto& w : plan.walks) std::sort(w.modules.begin(), w.modules.end());
  // Gets inside a walked subtree come back with the walk.
  for (auto& [oid, mods] : gets) {
    auto it = std::upper_bound(
        plan.walks.begin(), plan.walks.end(), oid,
        [](const Oid& o, const Fetch& f) { return OidLess(o, f.oid); });
    if (it != plan.walks.begin() && HasPrefix(oid, (it - 1)->oid)) {
      auto& into = (it - 1)->modules;
      for (size_t m : mods)
        if (std::find(into.begin(), into.end(), m) == into.end())
          into.push_back(m);
      std::sort(into.begin(), into.end());
      continue;
    }
    plan.gets.push_back(Fetch{oid, mods});
  }
  return plan;
}

}  // namespace exporterd::snmp
