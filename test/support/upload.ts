import http from 'node:http'

export interface Upload {
  port: number
  agent: http.Agent
  path: string
  headers: Record<string, string>
  body: Buffer
  /** No content-length: only the bytes tell where the body ends. */
  chunked: boolean
  /** Bytes written at a time (the way a client uploading a big file sends it). */
  chunkBytes: number
}

/** POSTs a body over a real socket, in chunks, honouring back-pressure; resolves with the answer. */
export function upload(u: Upload): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...u.headers }
    if (!u.chunked) headers['content-length'] = u.body.length
    const req = http.request({ host: '127.0.0.1', port: u.port, method: 'POST', path: u.path, headers, agent: u.agent }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    let offset = 0
    const pump = () => {
      while (offset < u.body.length) {
        const chunk = u.body.subarray(offset, (offset += u.chunkBytes))
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}
