import * as fs from 'node:fs';
import { StorageIoError } from '@lattice/core';

/** Thin promise wrappers over the callback `fs` API: one threadpool hop each, no FileHandle bookkeeping. */

export function open(path: string, flags: string | number, mode = 0o644): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, mode, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function close(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

function writeOnce(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.write(fd, buffer, offset, length, position, (err, written) => (err ? reject(err) : resolve(written))),
  );
}

/** Writes all of `buffer[offset, offset + length)` at `position` (looping over short writes). */
export async function writeAll(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  while (length > 0) {
    const written = await writeOnce(fd, buffer, offset, length, position);
    if (written <= 0) throw new StorageIoError(`write returned ${written}`);
    offset += written;
    length -= written;
    position += written;
  }
}

function readOnce(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))),
  );
}

/** Reads up to `length` bytes at `position`; returns how many were read (fewer only at the end of the file). */
export async function readFully(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let total = 0;
  while (total < length) {
    const n = await readOnce(fd, buffer, offset + total, length - total, position + total);
    if (n === 0) break;
    total += n;
  }
  return total;
}

export function fileSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, stats) => (err ? reject(err) : resolve(stats.size))));
}

/**
 * Writes all of `chunks`, back to back, at `position` with one `pwritev` (more only after a
 * short write). Callers keep `chunks.length` within the platform's IOV_MAX (1024 on Linux), so
 * libuv does not split the call into several writes.
 */
export async function writevAll(fd: number, chunks: readonly Uint8Array[], position: number): Promise<void> {
  let remaining = chunks;
  let length = 0;
  for (const chunk of remaining) length += chunk.length;
  while (length > 0) {
    const written = await new Promise<number>((resolve, reject) =>
      fs.writev(fd, remaining, position, (err, bytesWritten) => (err ? reject(err) : resolve(bytesWritten))),
    );
    if (written <= 0) throw new StorageIoError(`writev returned ${written}`);
    position += written;
    length -= written;
    if (length === 0) return;
    const rest: Uint8Array[] = [];
    let skip = written;
    for (const chunk of remaining) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
    remaining = rest;
  }
}
