import * as fs from 'node:fs';

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
    if (written <= 0) throw new Error(`write returned ${written}`);
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
