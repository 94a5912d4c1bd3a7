'use strict';
// A tiny filesystem for disk-full tests: tmpfs with a size limit (root only, as on CI), or a loopback-mounted
// ext4 image when tmpfs cannot be mounted. Either way `unmount()` must run in `after`, even on failure.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

function run(cmd, args) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

function isMountPoint(dir) {
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8');
  const resolved = fs.realpathSync(dir);
  return mounts.split('\n').some((line) => line.split(' ')[1] === resolved);
}

/**
 * Mounts a filesystem of `sizeBytes` on a new temp folder and returns { dir, kind, unmount }.
 * Throws (never skips) when neither tmpfs nor a loop device can be mounted: the test must fail loudly.
 */
function mountSmallFilesystem(sizeBytes, { prefix = 'tiny-fs-' } = {}) {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dir = path.join(parent, 'mnt');
  fs.mkdirSync(dir);
  let kind;
  let image;
  const errors = [];
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir]);
    kind = 'tmpfs';
  } catch (err) {
    errors.push(`tmpfs: ${(err.stderr || err.message).trim()}`);
    try {
      image = path.join(parent, 'disk.img');
      fs.writeFileSync(image, Buffer.alloc(0));
      fs.truncateSync(image, Math.max(sizeBytes, 1048576));
      run('mkfs.ext4', ['-q', '-F', image]);
      run('mount', ['-o', 'loop', image, dir]);
      kind = 'loop-ext4';
    } catch (err2) {
      errors.push(`loop: ${(err2.stderr || err2.message).trim()}`);
    }
  }
  if (!kind) {
    fs.rmSync(parent, { recursive: true, force: true });
    throw new Error(`cannot mount a small filesystem (run as root): ${errors.join('; ')}`);
  }

  let unmounted = false;
  function unmount() {
    if (unmounted) return;
    unmounted = true;
    for (let attempt = 0; attempt < 5 && isMountPoint(dir); attempt++) {
      try {
        run('umount', [dir]);
      } catch {
        // busy for a moment (a process still closing its files): lazy unmount detaches it anyway
        try {
          run('umount', ['-l', dir]);
        } catch {
          // try again
        }
      }
    }
    fs.rmSync(parent, { recursive: true, force: true });
  }
  return { dir, kind, sizeBytes, unmount, isMounted: () => isMountPoint(dir) };
}

module.exports = { mountSmallFilesystem, isMountPoint };
