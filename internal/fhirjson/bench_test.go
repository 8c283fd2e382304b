package fhirjson

import (
	"encoding/json"
	"testing"
)

var benchDocs = []string{"patient.json", "observation-bp.json"}

func BenchmarkCheck(b *testing.B) {
	for _, name := range benchDocs {
		data := readTestdata(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Check(data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJSONValid is the baseline: encoding/json's validator, which
// checks syntax only.
func BenchmarkJSONValid(b *testing.B) {
	for _, name := range benchDocs {
		data := readTestdata(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if !json.Valid(data) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, name := range benchDocs {
		data := readTestdata(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheckLargeObject(b *testing.B) {
	data := []byte(manyKeys(5000, ""))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
