// Typedoc plugin for the docs site (typedoc.json `plugin`). Two things typedoc's options cannot
// say:
//  - A guide's name in the sidebar is the title its own first heading gives
//    (`# Checking linearizability`), not its file name (`linearizability`). The guides stay plain
//    Markdown that reads the same on GitHub, with no front matter. The page URLs keep the file
//    names: the renaming happens after typedoc has laid out the pages.
//  - A README rendered as the index or as a package's page starts with its own `# Title`, and
//    typedoc already heads the page with that title: the README's heading is dropped from the
//    page, so that each page has one H1.
import { ReflectionKind, RendererEvent } from 'typedoc';

const HEADING = /^\s*#\s+(.+?)\s*#*\s*(?:\r?\n|$)/;

/** The text of a Markdown heading as a plain title: inline code and emphasis marks removed. */
function plainTitle(markdown) {
  return markdown.replace(/[`*_]/g, '').trim();
}

/** Removes a leading `# Title` line from rendered Markdown parts, in place. */
function dropLeadingHeading(parts) {
  const first = parts?.[0];
  if (first?.kind !== 'text') return;
  const match = HEADING.exec(first.text);
  if (match) first.text = first.text.slice(match[0].length);
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  // At the start of rendering: the packages' projects are merged by then, and the page layout
  // (file names) is fixed.
  app.renderer.on(RendererEvent.BEGIN, (event) => {
    const project = event.project;
    dropLeadingHeading(project.readme);
    for (const module of project.getReflectionsByKind(ReflectionKind.Module)) dropLeadingHeading(module.readme);
    for (const document of project.getReflectionsByKind(ReflectionKind.Document)) {
      const first = document.content?.[0];
      const match = first?.kind === 'text' ? HEADING.exec(first.text) : null;
      if (match) document.name = plainTitle(match[1]);
    }
  });
}
