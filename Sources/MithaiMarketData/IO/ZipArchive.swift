/// A minimal zip reader over zlib raw inflate: lists members from the central directory
/// (zip64 included) and opens any member as a pull-based stream, so two members of one archive
/// can be read in lockstep (LOBSTER's message and order-book files) without unpacking either.
/// Supports the stored (0) and deflate (8) methods; anything else is a clear error.
final class ZipArchive {
    struct Member {
        let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int64
        let size: Int64
        let localHeaderOffset: Int64
        let flags: UInt16
    }

    let file: InputFile
    let members: [Member]

    /// True when the first bytes are a zip local-file or end-of-directory signature.
    static func looksLikeZip(_ head: [UInt8]) -> Bool {
        head.count >= 4 && head[0] == 0x50 && head[1] == 0x4B && (head[2] == 3 || head[2] == 5) && (head[3] == 4 || head[3] == 6)
    }

    init(_ file: InputFile) throws {
        self.file = file
        members = try ZipArchive.readDirectory(file)
    }

    func member(named name: String) -> Member? { members.first { $0.name == name } }

    /// A stream of the member's uncompressed bytes, checked against its CRC-32 and size.
    func open(_ member: Member) throws -> any ByteStream {
        let label = "\(file.path)/\(member.name)"
        guard member.flags & 1 == 0 else { throw DataError(file: label, "encrypted zip members are not supported") }
        var header = [UInt8](repeating: 0, count: 30)
        try header.withUnsafeMutableBytes { b in
            try file.readExactly(at: member.localHeaderOffset, into: b, what: "local header of \(member.name)")
        }
        guard le32(header, 0) == 0x0403_4B50 else {
            throw DataError(file: file.path, "corrupt zip: bad local header for \(member.name)")
        }
        let dataOffset = member.localHeaderOffset + 30 + Int64(le16(header, 26)) + Int64(le16(header, 28))
        guard dataOffset + member.compressedSize <= file.size else {
            throw DataError(file: file.path, "truncated zip: member \(member.name) runs past the end of the file")
        }
        let range = FileRangeStream(file, from: dataOffset, count: member.compressedSize)
        switch member.method {
        case 0:
            return StoredMemberStream(range, name: label, expected: (member.crc, member.size))
        case 8:
            return try InflateStream(range, name: label, format: .rawDeflate, expected: (member.crc, member.size))
        default:
            throw DataError(file: label, "zip compression method \(member.method) is not supported (only stored and deflate)")
        }
    }

    private static func readDirectory(_ file: InputFile) throws -> [Member] {
        // The end-of-central-directory record sits in the last 22 + 65535 bytes.
        let tailLength = Int(min(file.size, 22 + 65_535))
        guard tailLength >= 22 else { throw DataError(file: file.path, "not a zip file (too short)") }
        var tail = [UInt8](repeating: 0, count: tailLength)
        try tail.withUnsafeMutableBytes { b in
            try file.readExactly(at: file.size - Int64(tailLength), into: b, what: "zip directory")
        }
        var eocd = -1
        var i = tailLength - 22
        while i >= 0 {
            if tail[i] == 0x50 && le32(tail, i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw DataError(file: file.path, "not a zip file, or truncated (no end-of-directory record)") }
        var count = Int64(le16(tail, eocd + 10))
        var directorySize = Int64(le32(tail, eocd + 12))
        var directoryOffset = Int64(le32(tail, eocd + 16))
        // zip64: a locator right before the EOCD points at the zip64 EOCD record.
        if (count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF) && eocd >= 20
            && le32(tail, eocd - 20) == 0x0706_4B50
        {
            let zip64Offset = Int64(le64(tail, eocd - 12))
            var record = [UInt8](repeating: 0, count: 56)
            try record.withUnsafeMutableBytes { b in
                try file.readExactly(at: zip64Offset, into: b, what: "zip64 directory record")
            }
            guard le32(record, 0) == 0x0606_4B50 else { throw DataError(file: file.path, "corrupt zip64 directory record") }
            count = Int64(le64(record, 32))
            directorySize = Int64(le64(record, 40))
            directoryOffset = Int64(le64(record, 48))
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= file.size,
              directorySize < 1 << 31
        else {
            throw DataError(file: file.path, "corrupt or truncated zip (central directory out of bounds)")
        }
        var directory = [UInt8](repeating: 0, count: Int(directorySize))
        try directory.withUnsafeMutableBytes { b in
            try file.readExactly(at: directoryOffset, into: b, what: "zip central directory")
        }
        var members: [Member] = []
        var p = 0
        for _ in 0..<count {
            guard p + 46 <= directory.count, le32(directory, p) == 0x0201_4B50 else {
                throw DataError(file: file.path, "corrupt zip central directory")
            }
            let flags = le16(directory, p + 8)
            let method = le16(directory, p + 10)
            let crc = le32(directory, p + 16)
            var compressed = Int64(le32(directory, p + 20))
            var size = Int64(le32(directory, p + 24))
            let nameLength = Int(le16(directory, p + 28))
            let extraLength = Int(le16(directory, p + 30))
            let commentLength = Int(le16(directory, p + 32))
            var offset = Int64(le32(directory, p + 42))
            guard p + 46 + nameLength + extraLength + commentLength <= directory.count else {
                throw DataError(file: file.path, "corrupt zip central directory")
            }
            let name = String(decoding: directory[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            // zip64 extended information: only the fields that overflowed are present, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let tag = le16(directory, e)
                let length = Int(le16(directory, e + 2))
                if tag == 0x0001 {
                    var q = e + 4
                    if size == 0xFFFF_FFFF && q + 8 <= e + 4 + length { size = Int64(le64(directory, q)); q += 8 }
                    if compressed == 0xFFFF_FFFF && q + 8 <= e + 4 + length { compressed = Int64(le64(directory, q)); q += 8 }
                    if offset == 0xFFFF_FFFF && q + 8 <= e + 4 + length { offset = Int64(le64(directory, q)) }
                }
                e += 4 + length
            }
            members.append(Member(name: name, method: method, crc: crc, compressedSize: compressed, size: size,
                                  localHeaderOffset: offset, flags: flags))
            p += 46 + nameLength + extraLength + commentLength
        }
        return members
    }
}

@inline(__always) func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
@inline(__always) func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}
@inline(__always) func le64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32 }
