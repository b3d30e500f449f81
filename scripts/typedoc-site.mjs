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

const HEADING = /^\s*#\s+(.*)$/;

/**
 * The leading `# Title` line of rendered Markdown parts, if there is one: the title's text and
 * how many parts it spans (inline code is a part of its own), with what follows its line break.
 */
function leadingHeading(parts) {
  if (parts?.[0]?.kind !== 'text') return undefined;
  let line = '';
  for (let i = 0; i < parts.length; i++) {
    const text = parts[i].text;
    const newline = text.indexOf('\n');
    line += newline === -1 ? text : text.slice(0, newline);
    if (newline !== -1 || i === parts.length - 1) {
      const match = HEADING.exec(line);
      if (!match) return undefined;
      return { title: match[1], parts: i + 1, rest: newline === -1 ? '' : text.slice(newline + 1) };
    }
  }
  return undefined;
}

/** The text of a Markdown heading as a plain title: inline code and emphasis marks removed. */
function plainTitle(markdown) {
  return markdown
    .replace(/[`*_]/g, '')
    .replace(/\s*#+\s*$/, '')
    .trim();
}

/** Removes a leading `# Title` line from rendered Markdown parts, in place. */
function dropLeadingHeading(parts) {
  const heading = leadingHeading(parts);
  if (heading) parts.splice(0, heading.parts, { kind: 'text', text: heading.rest });
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
      const heading = leadingHeading(document.content);
      if (heading) document.name = plainTitle(heading.title);
    }
  });
}
