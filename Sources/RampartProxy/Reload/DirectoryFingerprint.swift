#if canImport(Glibc)
import Glibc
#endif

/// What the files under a directory look like on disk: for each path, its inode, size and modification time.
///
/// Two fingerprints differ when a file was added, removed, replaced or written. Symbolic links are followed
/// (a Kubernetes ConfigMap mount swaps a `..data` link, so each file resolves to a new inode) and hidden
/// entries are skipped, as the rule loader skips them.
struct DirectoryFingerprint: Equatable {
    struct Stamp: Equatable {
        let inode: UInt64
        let size: Int64
        let seconds: Int
        let nanoseconds: Int
    }

    private(set) var files: [String: Stamp] = [:]
    /// Directories under the root (the root included), for inotify watches.
    private(set) var directories: [String] = []

    /// Reads the tree under `root`; a missing root gives an empty fingerprint.
    init(root: String) {
        self.visit(root, depth: 0)
    }

    private mutating func visit(_ path: String, depth: Int) {
        var info = stat()
        guard depth < 16, stat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) != S_IFDIR {
            self.files[path] = Stamp(inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec)
            return
        }
        self.directories.append(path)
        guard let directory = opendir(path) else { return }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        closedir(directory)
        for name in names { self.visit(path + "/" + name, depth: depth + 1) }
    }
}
