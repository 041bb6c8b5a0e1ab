using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// XXH64 (Yann Collet's xxHash, 64-bit variant, seed 0) of a byte sequence: the hash behind
    /// the blocks' Bloom filters. Written out here, to the published algorithm, so that the
    /// format depends on no package's choice of hash; the published test vectors are in the tests.
    /// </summary>
    internal static class XxHash64
    {
        private const ulong Prime1 = 11400714785074694791UL;
        private const ulong Prime2 = 14029467366897019727UL;
        private const ulong Prime3 = 1609587929392839161UL;
        private const ulong Prime4 = 9650029242287828579UL;
        private const ulong Prime5 = 2870177450012600261UL;

        public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
        {
            var length = data.Length;
            var at = 0;
            ulong hash;
            if (length >= 32)
            {
                ulong v1 = seed + Prime1 + Prime2, v2 = seed + Prime2, v3 = seed, v4 = seed - Prime1;
                for (; at <= length - 32; at += 32)
                {
                    v1 = Round(v1, Read64(data, at));
                    v2 = Round(v2, Read64(data, at + 8));
                    v3 = Round(v3, Read64(data, at + 16));
                    v4 = Round(v4, Read64(data, at + 24));
                }

                hash = RotateLeft(v1, 1) + RotateLeft(v2, 7) + RotateLeft(v3, 12) + RotateLeft(v4, 18);
                hash = MergeRound(hash, v1);
                hash = MergeRound(hash, v2);
                hash = MergeRound(hash, v3);
                hash = MergeRound(hash, v4);
            }
            else
            {
                hash = seed + Prime5;
            }

            hash += (ulong)length;
            for (; at <= length - 8; at += 8)
            {
                hash ^= Round(0, Read64(data, at));
                hash = RotateLeft(hash, 27) * Prime1 + Prime4;
            }

            if (at <= length - 4)
            {
                hash ^= Read32(data, at) * Prime1;
                hash = RotateLeft(hash, 23) * Prime2 + Prime3;
                at += 4;
            }

            for (; at < length; at++)
            {
                hash ^= data[at] * Prime5;
                hash = RotateLeft(hash, 11) * Prime1;
            }

            hash ^= hash >> 33;
            hash *= Prime2;
            hash ^= hash >> 29;
            hash *= Prime3;
            hash ^= hash >> 32;
            return hash;
        }

        private static ulong Round(ulong accumulator, ulong input)
        {
            accumulator += input * Prime2;
            accumulator = RotateLeft(accumulator, 31);
            return accumulator * Prime1;
        }

        private static ulong MergeRound(ulong accumulator, ulong value)
        {
            accumulator ^= Round(0, value);
            return accumulator * Prime1 + Prime4;
        }

        private static ulong RotateLeft(ulong value, int bits) => (value << bits) | (value >> (64 - bits));

        // Little-endian, whatever the machine: the hash is part of the stored format. Read without
        // a bounds check: the loops above read only whole words inside the data.
        private static ulong Read64(ReadOnlySpan<byte> data, int at)
        {
            var value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), at));
            return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        }

        private static ulong Read32(ReadOnlySpan<byte> data, int at)
        {
            var value = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), at));
            return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        }
    }
}
