import { LatticeError, type LatticeErrorOptions } from '../errors.js';

/** Thrown when a `FileSystem` operation names a file or directory that does not exist. */
export class FileNotFoundError extends LatticeError {
  static readonly code = 'ERR_FILE_NOT_FOUND';
  override readonly name = 'FileNotFoundError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(FileNotFoundError.code, message, options);
  }
}

/** Thrown when a `FileSystem` operation must create a file or directory and the name is taken. */
export class FileExistsError extends LatticeError {
  static readonly code = 'ERR_FILE_EXISTS';
  override readonly name = 'FileExistsError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(FileExistsError.code, message, options);
  }
}

/** Options of {@link FileLockedError}. */
export interface FileLockedErrorOptions extends LatticeErrorOptions {
  /** Process id of the holder, where the file system knows it. */
  holder?: number | undefined;
}

/** Thrown when `FileSystem.lock` finds the lock held, by another live process or by this one. */
export class FileLockedError extends LatticeError {
  static readonly code = 'ERR_FILE_LOCKED';
  override readonly name = 'FileLockedError';
  /** Process id of the holder, when known. */
  readonly holder: number | undefined;
  constructor(message: string, options?: FileLockedErrorOptions) {
    super(FileLockedError.code, message, options);
    this.holder = options?.holder;
  }
}

/** Thrown when the storage has no room left for a write (ENOSPC, a quota). */
export class StorageFullError extends LatticeError {
  static readonly code = 'ERR_STORAGE_FULL';
  override readonly name = 'StorageFullError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(StorageFullError.code, message, options);
  }
}

/**
 * Thrown when the storage failed an operation for any other reason (an I/O error, a
 * permission, a directory where a file was expected). `cause` is the platform's error.
 */
export class StorageIoError extends LatticeError {
  static readonly code = 'ERR_STORAGE_IO';
  override readonly name = 'StorageIoError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(StorageIoError.code, message, options);
  }
}
