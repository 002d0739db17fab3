package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// fakeStream is the server side of one RunPlugin call: it hands the front one request and keeps
// every response it streams back.
type fakeStream struct {
	req []byte
	mu  sync.Mutex
	out []*pulumirpc.RunPluginResponse
}

func (*fakeStream) SetHeader(metadata.MD) error  { return nil }
func (*fakeStream) SendHeader(metadata.MD) error { return nil }
func (*fakeStream) SetTrailer(metadata.MD)       {}
func (*fakeStream) Context() context.Context     { return context.Background() }
func (f *fakeStream) RecvMsg(m any) error {
	*(m.(*[]byte)) = f.req
	return nil
}
func (f *fakeStream) SendMsg(m any) error {
	resp := &pulumirpc.RunPluginResponse{}
	if err := proto.Unmarshal(*(m.(*[]byte)), resp); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, resp)
	return nil
}

// writeEntryPoint puts node_modules/@pulumi/pulumi/cmd/<name> under root, as npm would.
func writeEntryPoint(t *testing.T, root, name, script string) string {
	t.Helper()
	dir := filepath.Join(root, "node_modules", "@pulumi", "pulumi", "cmd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFindEntryPointResolvesUpwardsAsNodeDoes(t *testing.T) {
	root := t.TempDir()
	want := writeEntryPoint(t, root, "run-policy-pack", "")
	pack := filepath.Join(root, "policy", "deeper")
	if err := os.MkdirAll(pack, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := findEntryPoint(pack, "run-policy-pack")
	if err != nil || got != want {
		t.Fatalf("findEntryPoint = %q, %v; want %q", got, err, want)
	}
	_, err = findEntryPoint(pack, "run-plugin")
	if err == nil || !strings.Contains(err.Error(), "Cannot find module '@pulumi/pulumi/cmd/run-plugin' from "+pack+"; run npm install there") {
		t.Fatalf("a missing entry point gives %v", err)
	}
}

func TestRawCodecPassesBytesThroughUnchanged(t *testing.T) {
	in := []byte{0, 1, 2, 250}
	data, err := rawCodec{}.Marshal(&in)
	if err != nil || string(data) != string(in) {
		t.Fatalf("Marshal = %v, %v", data, err)
	}
	var out []byte
	if err := (rawCodec{}).Unmarshal(data, &out); err != nil || string(out) != string(in) {
		t.Fatalf("Unmarshal = %v, %v", out, err)
	}
	data[0] = 9
	if out[0] != 0 {
		t.Fatal("Unmarshal kept a reference to the transport's buffer")
	}
}

// runPlugin is why the front exists: the 3.68 host answers RunPlugin "not supported", so the engine
// could not start the policy pack. The front runs node on the pack's entry point itself.
func TestRunPluginRunsThePackAndStreamsItsOutputAndExitCode(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	program := t.TempDir()
	writeEntryPoint(t, program, "run-policy-pack", `
process.stdout.write("args " + JSON.stringify(process.argv.slice(2)) + "\n");
process.stderr.write("cwd " + process.cwd() + " env " + process.env.FROM_ENGINE + "\n");
process.exit(3);
`)
	req, err := proto.Marshal(&pulumirpc.RunPluginRequest{
		Pwd:  t.TempDir(), // the program directory wins over pwd
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: program},
		Kind: "analyzer",
		Args: []string{"--port", "0"},
		Env:  []string{"FROM_ENGINE=yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := &fakeStream{req: req}
	if err := runPlugin(stream); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	for _, r := range stream.out {
		stdout.Write(r.GetStdout())
		stderr.Write(r.GetStderr())
	}
	if got, want := stdout.String(), `args ["--port","0","."]`+"\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := stderr.String(), "cwd "+program+" env yes\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	last := stream.out[len(stream.out)-1]
	if _, ok := last.GetOutput().(*pulumirpc.RunPluginResponse_Exitcode); !ok || last.GetExitcode() != 3 {
		t.Errorf("the last response is %v, want exit code 3", last)
	}
}

func TestRunPluginRunsOtherKindsAsResourcePlugins(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	program := t.TempDir()
	writeEntryPoint(t, program, "run-plugin", `process.stdout.write("plugin\n");`)
	req, err := proto.Marshal(&pulumirpc.RunPluginRequest{Pwd: program, Kind: "tool"})
	if err != nil {
		t.Fatal(err)
	}
	stream := &fakeStream{req: req}
	if err := runPlugin(stream); err != nil {
		t.Fatal(err)
	}
	if len(stream.out) != 2 || string(stream.out[0].GetStdout()) != "plugin\n" || stream.out[1].GetExitcode() != 0 {
		t.Fatalf("responses = %v", stream.out)
	}
}
