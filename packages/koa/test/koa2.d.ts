// `koa2` is an npm alias of Koa 2, installed to run the same tests on both majors. Koa 2's API as used
// here is the same as Koa 3's, so it borrows Koa 3's types.
declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}
