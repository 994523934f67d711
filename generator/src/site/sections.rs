//! Step 1b of assembly: the sections. Each folder with an `_index.md` (and the content root,
//! always) is a section; its pages are the pages in that folder (Zola's: a page in a folder
//! without `_index.md` belongs to none), plus those of its transparent subsections, in its
//! `sort_by` order. Neighbours (`lower`/`higher`) come from that order.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::content::{Page, SectionMeta, SortBy};

/// One section.
#[derive(Debug)]
pub struct Section {
    /// Its folder under `content/` (empty for the root).
    pub folder: PathBuf,
    /// The index (in the page list) of its `_index.md`; none for a root without one.
    pub index: Option<usize>,
    /// Its keys.
    pub meta: SectionMeta,
    /// The section of the nearest folder above that has one.
    pub parent: Option<usize>,
    /// Its pages in `sort_by` order (with those of transparent subsections).
    pub pages: Vec<usize>,
    /// Its subsections by weight, then folder.
    pub subsections: Vec<usize>,
}

/// Every section, and where each page stands in them.
#[derive(Debug, Default)]
pub struct Tree {
    /// The sections; the root is the first.
    pub sections: Vec<Section>,
    /// For each page, the section it is in (none for a section's own `_index.md` and for a
    /// page in a folder without one).
    pub section_of: Vec<Option<usize>>,
    /// For each section's `_index.md`, that section.
    pub own_section: Vec<Option<usize>>,
    /// For each page, the neighbour with the lower sort value (older, lighter, earlier title).
    pub lower: Vec<Option<usize>>,
    /// For each page, the neighbour with the higher sort value.
    pub higher: Vec<Option<usize>>,
}

impl Tree {
    /// Builds the sections of these pages.
    pub fn build(pages: &[Page]) -> Tree {
        let mut tree = Tree {
            section_of: vec![None; pages.len()],
            own_section: vec![None; pages.len()],
            lower: vec![None; pages.len()],
            higher: vec![None; pages.len()],
            ..Tree::default()
        };
        let mut by_folder: HashMap<&Path, usize> = HashMap::new();
        tree.sections.push(Section {
            folder: PathBuf::new(),
            index: None,
            meta: SectionMeta::default(),
            parent: None,
            pages: Vec::new(),
            subsections: Vec::new(),
        });
        by_folder.insert(Path::new(""), 0);
        for (i, page) in pages.iter().enumerate() {
            let Some(meta) = &page.section else { continue };
            let folder = page.folder();
            let s = match by_folder.get(folder) {
                Some(&s) => s,
                None => {
                    tree.sections.push(Section {
                        folder: folder.to_owned(),
                        index: None,
                        meta: SectionMeta::default(),
                        parent: None,
                        pages: Vec::new(),
                        subsections: Vec::new(),
                    });
                    by_folder.insert(folder, tree.sections.len() - 1);
                    tree.sections.len() - 1
                }
            };
            tree.sections[s].index = Some(i);
            tree.sections[s].meta = meta.clone();
            tree.own_section[i] = Some(s);
        }
        for s in 1..tree.sections.len() {
            let parent = tree.sections[s]
                .folder
                .ancestors()
                .skip(1)
                .find_map(|f| by_folder.get(f).copied());
            tree.sections[s].parent = parent;
            if let Some(p) = parent {
                tree.sections[p].subsections.push(s);
            }
        }
        for (i, page) in pages.iter().enumerate() {
            if page.section.is_none() {
                tree.section_of[i] = by_folder.get(page.folder()).copied();
            }
        }
        tree.gather_pages(pages);
        tree.sort(pages);
        tree.link_neighbours();
        tree
    }

    /// Each section's own pages, then those of transparent subsections added to their parents
    /// (deepest first, so a chain of transparent sections reaches the first opaque one).
    fn gather_pages(&mut self, pages: &[Page]) {
        for (i, s) in self.section_of.iter().enumerate() {
            if let Some(s) = s {
                self.sections[*s].pages.push(i);
            }
        }
        let mut order: Vec<usize> = (0..self.sections.len()).collect();
        order.sort_by_key(|&s| std::cmp::Reverse(self.sections[s].folder.components().count()));
        for s in order {
            if let (true, Some(p)) = (self.sections[s].meta.transparent, self.sections[s].parent) {
                let moved = self.sections[s].pages.clone();
                self.sections[p].pages.extend(moved);
            }
        }
        let keys: Vec<(i64, PathBuf)> = self
            .sections
            .iter()
            .map(|s| {
                let weight = s.index.map_or(0, |i| pages[i].front_matter.weight);
                (weight, s.folder.clone())
            })
            .collect();
        for section in &mut self.sections {
            section.subsections.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        }
    }

    fn sort(&mut self, pages: &[Page]) {
        for section in &mut self.sections {
            let sort_by = section.meta.sort_by;
            if sort_by == SortBy::Date {
                // As Zola: a page without a date cannot be placed, so it is not listed.
                section
                    .pages
                    .retain(|&p| pages[p].front_matter.date.is_some());
            }
            section
                .pages
                .sort_by(|&a, &b| compare(sort_by, &pages[a], &pages[b]));
        }
    }

    /// Neighbours from the list a page is finally shown in: its section's, or the first
    /// opaque section above a chain of transparent ones.
    fn link_neighbours(&mut self) {
        for s in 0..self.sections.len() {
            let sort_by = self.sections[s].meta.sort_by;
            if sort_by == SortBy::None {
                continue;
            }
            let list = &self.sections[s].pages;
            for (pos, &p) in list.iter().enumerate() {
                if self.listing_section(p) != Some(s) {
                    continue;
                }
                let before = pos.checked_sub(1).map(|i| list[i]);
                let after = list.get(pos + 1).copied();
                // Newest first: the next in the list is the lower (older) one.
                let (lower, higher) = match sort_by {
                    SortBy::Date => (after, before),
                    _ => (before, after),
                };
                self.lower[p] = lower;
                self.higher[p] = higher;
            }
        }
    }

    /// The section whose list gives a page its neighbours.
    fn listing_section(&self, page: usize) -> Option<usize> {
        let mut s = self.section_of[page]?;
        while let (true, Some(p)) = (self.sections[s].meta.transparent, self.sections[s].parent) {
            s = p;
        }
        Some(s)
    }

    /// The `page_template` that applies to a page: that of the nearest section (its own or
    /// one above) that sets one.
    pub fn page_template(&self, page: usize) -> Option<&str> {
        let mut s = self.section_of[page]?;
        loop {
            if let Some(t) = &self.sections[s].meta.page_template {
                return Some(t);
            }
            s = self.sections[s].parent?;
        }
    }
}

/// The order of two pages in a section sorted by `sort_by`; ties go by route, so the order
/// never depends on the file system.
fn compare(sort_by: SortBy, a: &Page, b: &Page) -> Ordering {
    let (fa, fb) = (&a.front_matter, &b.front_matter);
    let order = match sort_by {
        SortBy::Date => {
            let at = |p: &Page| p.front_matter.date.as_ref().map(|d| d.timestamp());
            at(b).cmp(&at(a))
        }
        SortBy::Title => fa.title.to_lowercase().cmp(&fb.title.to_lowercase()),
        SortBy::Weight => fa.weight.cmp(&fb.weight),
        SortBy::None => a.rel.cmp(&b.rel),
    };
    order.then_with(|| a.route.cmp(&b.route))
}
