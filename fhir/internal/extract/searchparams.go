package main

import (
	"fmt"
	"slices"
)

// Resource and DomainResource parameters (_id, _lastUpdated, _tag, ...)
// apply to every served type.
var abstractBases = []string{"Resource", "DomainResource"}

// selectSearchParameters returns the search-parameters Bundle reduced to the
// SearchParameters whose base names a served type or an abstract base, plus
// every SearchParameter that a kept composite names as a component. Entries
// are sorted by canonical URL; the narrative is dropped to save space.
func selectSearchParameters(data []byte, types []string) ([]byte, error) {
	doc, err := decodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parse search parameters: %w", err)
	}
	bundle, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("search parameters: not a JSON object")
	}
	entries, ok := bundle["entry"].([]any)
	if !ok {
		return nil, fmt.Errorf("search parameters: Bundle has no entry array")
	}

	byURL := make(map[string]map[string]any, len(entries))
	for i, e := range entries {
		entry, _ := e.(map[string]any)
		res, _ := entry["resource"].(map[string]any)
		url, _ := res["url"].(string)
		if url == "" {
			return nil, fmt.Errorf("search parameters: entry %d has no resource.url", i)
		}
		byURL[url] = entry
	}

	wantBases := append(slices.Clone(types), abstractBases...)
	keep := make(map[string]bool)
	var pending []string
	for url, entry := range byURL {
		if appliesTo(resourceOf(entry), wantBases) {
			keep[url] = true
			pending = append(pending, url)
		}
	}
	// Composites refer to their parts by URL; the parts may have a base we
	// do not serve, and the registry must still resolve them.
	for len(pending) > 0 {
		url := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		comps, _ := resourceOf(byURL[url])["component"].([]any)
		for _, c := range comps {
			def, _ := c.(map[string]any)["definition"].(string)
			if _, ok := byURL[def]; !ok {
				return nil, fmt.Errorf("search parameter %s: component %q is not defined", url, def)
			}
			if !keep[def] {
				keep[def] = true
				pending = append(pending, def)
			}
		}
	}

	urls := make([]string, 0, len(keep))
	for url := range keep {
		urls = append(urls, url)
	}
	slices.Sort(urls)
	kept := make([]any, 0, len(urls))
	for _, url := range urls {
		entry := byURL[url]
		delete(resourceOf(entry), "text")
		kept = append(kept, entry)
	}

	out := make(map[string]any, len(bundle))
	for k, v := range bundle {
		out[k] = v
	}
	out["entry"] = kept
	return encodeJSON(out)
}

func resourceOf(entry map[string]any) map[string]any {
	res, _ := entry["resource"].(map[string]any)
	return res
}

// appliesTo reports whether the SearchParameter's base names one of bases.
func appliesTo(param map[string]any, bases []string) bool {
	list, _ := param["base"].([]any)
	for _, b := range list {
		if s, ok := b.(string); ok && slices.Contains(bases, s) {
			return true
		}
	}
	return false
}
